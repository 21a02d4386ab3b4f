/* Token signing (libs/auth), revocation and the login limiter (Redis). */
#include "identity-outside-adapters.h"

#include "auth/revocation-redis.h"
#include "core/clock.h"
#include "core/json.h"
#include "identity-rules.h"
#include "kv/ratelimit.h"

#include <stdio.h>
#include <string.h>

_Static_assert((unsigned)ROLE_ADMIN == (unsigned)ROLE_ADMIN &&
                       (unsigned)ROLE_SERVICE == (unsigned)ROLE_SERVICE,
               "identity roles and token roles use the same bits");

static int jwt_sign(void *self, const char *subject, unsigned role, const char *jti, int64_t now,
                    int64_t ttl_s, char **ret_token)
{
        const struct identity_signer_jwt *s = self;
        return auth_jwt_sign(s->keys, s->params, subject, role, jti, now, ttl_s, ret_token);
}

/* libs/auth's JWKS document, and its keys taken apart for the gRPC answer. */
static int jwt_jwks(void *self, struct identity_jwks *ret)
{
        const struct identity_signer_jwt *s = self;
        memset(ret, 0, sizeof(*ret));
        int r = auth_keyset_jwks_json(s->keys, &ret->document);
        if (r < 0)
                return r;
        json_error_t jerr;
        json_t *doc = json_loads(ret->document, 0, &jerr);
        json_t *keys = json_object_get(doc, "keys");
        for (size_t i = 0; i < json_array_size(keys) && ret->n < IDENTITY_MAX_JWKS; i++) {
                json_t *k = json_array_get(keys, i);
                struct identity_jwk *out = &ret->keys[ret->n++];
                json_copy_string(k, "kid", out->kid, sizeof(out->kid));
                json_copy_string(k, "kty", out->kty, sizeof(out->kty));
                json_copy_string(k, "alg", out->alg, sizeof(out->alg));
                json_copy_string(k, "use", out->use, sizeof(out->use));
                json_copy_string(k, "crv", out->crv, sizeof(out->crv));
                json_copy_string(k, "x", out->x, sizeof(out->x));
                json_copy_string(k, "y", out->y, sizeof(out->y));
        }
        json_decref(doc);
        return 0;
}

static const struct identity_signer_ops signer_ops = {.sign = jwt_sign, .jwks = jwt_jwks};

struct identity_signer identity_signer_jwt(struct identity_signer_jwt *ctx)
{
        return (struct identity_signer){.ops = &signer_ops, .self = ctx};
}

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

static int redis_failures(void *self, const char *key, int64_t window_ms, int64_t *ret_count,
                          int64_t *ret_last_ms)
{
        struct kv_failures f;
        int r = kv_failures_get(self, key, window_ms, clock_realtime_ms(), &f);
        if (r == 0) {
                *ret_count = f.count;
                *ret_last_ms = f.last_ms;
        }
        return r;
}

static int redis_fail(void *self, const char *key, int64_t window_ms)
{
        return kv_failures_add(self, key, window_ms, clock_realtime_ms());
}

static int redis_forget(void *self, const char *key)
{
        return kv_del(self, key, NULL);
}

static const struct identity_limiter_ops limiter_ops = {
        .hit = redis_hit, .failures = redis_failures, .fail = redis_fail, .forget = redis_forget};

struct identity_limiter identity_limiter_redis(struct kv *kv)
{
        return (struct identity_limiter){.ops = &limiter_ops, .self = kv};
}
