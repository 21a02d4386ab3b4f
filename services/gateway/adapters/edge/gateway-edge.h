/* The edge checks from the project's shared libraries: tokens by libs/auth's
 * guard (the services' own check: verification and revocation in Redis),
 * the rate limit by libs/kv's sliding window in Redis (shared by replicas). */
#pragma once

#include "auth/guard.h"
#include "gateway-ports.h"
#include "kv/kv.h"

struct gateway_tokens gateway_tokens_guard(struct auth_guard *guard);

struct gateway_limiter_kv {
        struct kv *kv;
        int limit; /* requests per client per window */
        int64_t window_ms;
        const char *ns; /* keys "gateway:rate:<ns>:<client>": replicas of one gateway share it */
};
struct gateway_limiter gateway_limiter_kv(struct gateway_limiter_kv *ctx);
