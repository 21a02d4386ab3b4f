/* See gateway-edge.h. */
#include "gateway-edge.h"

#include "core/clock.h"
#include "kv/ratelimit.h"

#include <stdio.h>

static int guard_check(void *self, const char *authorization, char *message, size_t message_len)
{
        struct auth_principal p;
        return auth_guard_check(self, authorization, &p, message, message_len);
}

static const struct gateway_tokens_ops tokens_guard_ops = {.check = guard_check};

struct gateway_tokens gateway_tokens_guard(struct auth_guard *guard)
{
        return (struct gateway_tokens){.ops = &tokens_guard_ops, .self = guard};
}

static int kv_allow(void *self, const char *client, bool *ret_allowed)
{
        const struct gateway_limiter_kv *ctx = self;
        char key[128];
        snprintf(key, sizeof(key), "gateway:rate:%s:%s", ctx->ns ? ctx->ns : "",
                 client ? client : "-");
        struct kv_rate_limit_result r;
        int rc = kv_rate_limit_hit(ctx->kv, key, ctx->limit, ctx->window_ms, clock_realtime_ms(),
                                   &r);
        if (rc == 0)
                *ret_allowed = r.allowed;
        return rc;
}

static const struct gateway_limiter_ops limiter_kv_ops = {.allow = kv_allow};

struct gateway_limiter gateway_limiter_kv(struct gateway_limiter_kv *ctx)
{
        return (struct gateway_limiter){.ops = &limiter_kv_ops, .self = ctx};
}
