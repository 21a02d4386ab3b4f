/* Token revocation and the login limiter in Redis (libs/auth, libs/kv). */
#include "identity-redis.h"

#include "auth/revocation-redis.h"
#include "core/clock.h"
#include "kv/ratelimit.h"

static int redis_revoke_token(void *self, const char *jti, int64_t ttl_s)
{
        return auth_revoke_token(self, jti, ttl_s);
}

static int redis_revoke_subject(void *self, const char *subject, int64_t before_s)
{
        return auth_revoke_subject(self, subject, before_s);
}

static int redis_unrevoke_subject(void *self, const char *subject)
{
        return auth_unrevoke_subject(self, subject);
}

static const struct identity_revoker_ops revoker_ops = {
        .revoke_token = redis_revoke_token,
        .revoke_subject = redis_revoke_subject,
        .unrevoke_subject = redis_unrevoke_subject,
};

struct identity_revoker identity_revoker_redis(struct kv *kv)
{
        return (struct identity_revoker){.ops = &revoker_ops, .self = kv};
}

static int redis_hit(void *self, const char *key, int limit, int64_t window_ms, bool *ret_allowed)
{
        struct kv_rate_limit_result res;
        int r = kv_rate_limit_hit(self, key, limit, window_ms, clock_realtime_ms(), &res);
        if (r == 0)
                *ret_allowed = res.allowed;
        return r;
}

static int redis_claim(void *self, const char *key, int64_t window_ms, int64_t *ret_count,
                       int64_t *ret_last_ms, char member[64])
{
        struct kv_failures f;
        int r = kv_failures_claim(self, key, window_ms, clock_realtime_ms(), &f, member);
        if (r == 0) {
                *ret_count = f.count;
                *ret_last_ms = f.last_ms;
        }
        return r;
}

static int redis_withdraw(void *self, const char *key, const char *member)
{
        return kv_failures_withdraw(self, key, member);
}

static int redis_forget(void *self, const char *key)
{
        return kv_del(self, key, NULL);
}

static const struct identity_limiter_ops limiter_ops = {
        .hit = redis_hit,
        .claim = redis_claim,
        .withdraw = redis_withdraw,
        .forget = redis_forget,
};

struct identity_limiter identity_limiter_redis(struct kv *kv)
{
        return (struct identity_limiter){.ops = &limiter_ops, .self = kv};
}
