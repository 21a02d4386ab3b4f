/* Redis adapter of the revocation port; see auth/revocation-redis.h. */
#include "auth/revocation-redis.h"

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

int auth_revoke_token(struct kv *kv, const char *jti, int64_t ttl_s)
{
        char key[128];
        jti_key(key, sizeof(key), jti);
        return kv_set(kv, key, "1", 1, (ttl_s > 0 ? ttl_s : 1) * 1000);
}

int auth_revoke_subject(struct kv *kv, const char *subject, int64_t before_s)
{
        char key[128], value[32];
        subject_key(key, sizeof(key), subject);
        int n = snprintf(value, sizeof(value), "%lld", (long long)before_s);
        return kv_set(kv, key, value, (size_t)n, 0);
}

int auth_unrevoke_subject(struct kv *kv, const char *subject)
{
        char key[128];
        subject_key(key, sizeof(key), subject);
        return kv_del(kv, key, NULL);
}
