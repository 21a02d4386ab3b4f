/* Token revocation answered in-process from a copy kept in sync with Redis.
 *
 * The copy is read whole after subscribing to the revocation channel (and
 * again every resync interval), then follows every revocation as it is
 * published (kv/sub.h), so a check costs a hash lookup, not a round trip.
 * A revocation takes effect everywhere as soon as its message arrives
 * (well under a millisecond on a healthy link). When the copy cannot be
 * proven current -- the subscription has not answered a PING sent within
 * the last `bound_ms` -- every check fails (the guard refuses the call,
 * UNAVAILABLE): a revoked token is never accepted more than bound_ms after
 * its revocation was published. Revoked tokens leave the copy when they
 * would have expired. */
#pragma once

#include "auth/guard.h"
#include "kv/kv.h"

struct auth_revocation_sync_config {
        int bound_ms;           /* BOOKSTORE_REVOCATION_SYNC_BOUND_MS, default 1000 */
        int resync_interval_ms; /* BOOKSTORE_REVOCATION_RESYNC_MS, default 60000 */
};
int auth_revocation_sync_config_from_env(struct auth_revocation_sync_config *cfg, char *err,
                                         size_t err_len);

struct auth_revocation_set;

/* Starts following Redis and waits up to the kv's connect timeout for the
 * first sync (until then, and whenever out of date, checks fail closed). */
int auth_revocation_set_start(struct auth_revocation_set **ret_set, struct kv *kv,
                              const struct auth_revocation_sync_config *cfg);
void auth_revocation_set_stop(struct auth_revocation_set *set); /* accepts NULL */
struct auth_revocations auth_revocations_synced(struct auth_revocation_set *set);
