/* A Redis pub/sub subscription that knows how current it is.
 *
 * One thread and one connection of its own per subscription. It subscribes
 * to a channel, then asks for the whole state (on_resync), then passes every
 * message to on_message in publication order. Every ping_interval_ms it sends
 * a PING down the subscribed connection: Redis answers in order with the
 * messages, so when the answer comes back every message published before
 * the PING was sent has been handled. kv_sub_synced_at_ms() is that moment,
 * and a reader decides how old it may be (a cache bypasses itself, token
 * revocation fails closed). A lost or silent connection is replaced, and the
 * state read again after the new subscription, so nothing published while
 * it was down is missed. */
#pragma once

#include "kv/kv.h"

#include <stdint.h>

struct kv_sub_config {
        const char *channel;
        int ping_interval_ms; /* > 0 */
        /* Each message, on the subscription's thread. */
        void (*on_message)(void *ctx, const char *message, size_t len);
        /* Replaces the state with Redis's, on the subscription's thread after
         * every (re)subscription and every resync_interval_ms (0: only
         * then); messages wait meanwhile. NULL: nothing to read. < 0: the
         * subscription starts over. */
        int (*on_resync)(void *ctx);
        int resync_interval_ms;
        void *ctx;
};

struct kv_sub;

/* Starts the thread; the first sync follows in the background. The kv's
 * address, password and timeouts are copied (its pool may be freed first);
 * cfg's pointers must outlive the subscription. */
int kv_sub_start(struct kv_sub **ret_sub, struct kv *kv, const struct kv_sub_config *cfg);
/* Stops and joins the thread; accepts NULL. */
void kv_sub_stop(struct kv_sub *s);
/* Monotonic milliseconds (clock_monotonic_ms) before which every message
 * published has been handled; 0 before the first sync. Thread-safe. */
int64_t kv_sub_synced_at_ms(struct kv_sub *s);
/* Times the subscription was (re)established, for tests and metrics. */
uint64_t kv_sub_connects(struct kv_sub *s);
