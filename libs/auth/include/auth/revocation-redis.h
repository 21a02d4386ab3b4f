/* Token revocation in Redis, the adapter behind the guard's revocation port.
 *
 * Keys: auth:revoked:jti:<jti> (one token, expires with the token) and
 * auth:revoked:sub:<subject> = unix seconds (every token of the subject
 * issued at or before then, e.g. a disabled user). Both are read with one
 * MGET per call by this adapter. Each revocation also goes into a sorted set
 * and a hash, with a message on a channel, that the services' in-process
 * copies follow (auth/revocation-synced.h). */
#pragma once

#include "auth/guard.h"
#include "kv/kv.h"

struct auth_revocations auth_revocations_redis(struct kv *kv);

/* Revokes one token for ttl_s seconds (its remaining lifetime). */
int auth_revoke_token(struct kv *kv, const char *jti, int64_t ttl_s);
/* Revokes every token of subject issued at or before `before_s`. */
int auth_revoke_subject(struct kv *kv, const char *subject, int64_t before_s);
/* Lifts a subject revocation (e.g. the user is enabled again). */
int auth_unrevoke_subject(struct kv *kv, const char *subject);
