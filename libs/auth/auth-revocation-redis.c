/* Redis adapter of the revocation port; see auth/revocation-redis.h. */
#include "auth/revocation-redis.h"
#include "auth-int.h"

#include "core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void jti_key(char *buf, size_t len, const char *jti)
{
        snprintf(buf, len, "auth:revoked:jti:%s", jti);
}

static void subject_key(char *buf, size_t len, const char *subject)
{
        snprintf(buf, len, "auth:revoked:sub:%s", subject);
}

static int redis_check(void *self, const struct auth_principal *p, bool *ret_revoked)
{
        char k1[128], k2[128];
        jti_key(k1, sizeof(k1), p->jti);
        subject_key(k2, sizeof(k2), p->subject);
        const char *argv[] = {"MGET", k1, k2};
        redisReply *reply;
        int r = kv_command_argv(self, &reply, 3, argv, NULL);
        if (r < 0)
                return r;
        bool revoked = false;
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
                revoked = reply->element[0]->type == REDIS_REPLY_STRING;
                if (reply->element[1]->type == REDIS_REPLY_STRING)
                        revoked |= p->issued_at <= strtoll(reply->element[1]->str, NULL, 10);
        } else {
                r = -EIO;
        }
        freeReplyObject(reply);
        if (r == 0)
                *ret_revoked = revoked;
        return r;
}

static const struct auth_revocation_ops redis_ops = {.check = redis_check};

struct auth_revocations auth_revocations_redis(struct kv *kv)
{
        return (struct auth_revocations){.ops = &redis_ops, .self = kv};
}

/* Runs a revocation script: KEYS[1] the token's or subject's own key,
 * KEYS[2] the set or hash the synced copies read; ARGV[1] the channel. */
static int run_script(struct kv *kv, const char *script, const char *key, const char *set_key,
                      const char *a2, const char *a3, const char *a4)
{
        const char *argv[] = {"EVAL", script, "2", key, set_key, AUTH_REVOKED_CHANNEL, a2, a3, a4};
        int argc = a4 ? 9 : a3 ? 8 : 7;
        redisReply *reply;
        int r = kv_command_argv(kv, &reply, argc, argv, NULL);
        if (r == 0)
                freeReplyObject(reply);
        return r;
}

/* ARGV: channel, jti, ttl_s, expires_s */
static const char revoke_token_lua[] =
        "redis.call('SET', KEYS[1], '1', 'EX', ARGV[3])\n"
        "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])\n"
        "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4] - ARGV[3])\n"
        "redis.call('PUBLISH', ARGV[1], 'j ' .. ARGV[4] .. ' ' .. ARGV[2])\n";

int auth_revoke_token(struct kv *kv, const char *jti, int64_t ttl_s)
{
        char key[128], ttl[32], expires[32];
        jti_key(key, sizeof(key), jti);
        ttl_s = ttl_s > 0 ? ttl_s : 1;
        snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
        snprintf(expires, sizeof(expires), "%lld", (long long)(clock_realtime_ms() / 1000 + ttl_s));
        return run_script(kv, revoke_token_lua, key, AUTH_REVOKED_TOKENS_KEY, jti, ttl, expires);
}

/* ARGV: channel, subject, before_s */
static const char revoke_subject_lua[] =
        "redis.call('SET', KEYS[1], ARGV[3])\n"
        "redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])\n"
        "redis.call('PUBLISH', ARGV[1], 's ' .. ARGV[3] .. ' ' .. ARGV[2])\n";

int auth_revoke_subject(struct kv *kv, const char *subject, int64_t before_s)
{
        char key[128], value[32];
        subject_key(key, sizeof(key), subject);
        snprintf(value, sizeof(value), "%lld", (long long)before_s);
        return run_script(kv, revoke_subject_lua, key, AUTH_REVOKED_SUBJECTS_KEY, subject, value,
                          NULL);
}

/* ARGV: channel, subject */
static const char unrevoke_subject_lua[] = "redis.call('DEL', KEYS[1])\n"
                                           "redis.call('HDEL', KEYS[2], ARGV[2])\n"
                                           "redis.call('PUBLISH', ARGV[1], 'u ' .. ARGV[2])\n";

int auth_unrevoke_subject(struct kv *kv, const char *subject)
{
        char key[128];
        subject_key(key, sizeof(key), subject);
        return run_script(kv, unrevoke_subject_lua, key, AUTH_REVOKED_SUBJECTS_KEY, subject, NULL,
                          NULL);
}
