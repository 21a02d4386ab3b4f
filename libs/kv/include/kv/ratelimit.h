/* Sliding-window rate limiter on Redis, shared by every service (identity
 * limits login attempts per account and per peer with it).
 *
 * Each key holds the hits of the last window as a sorted set; one Lua script
 * trims, counts and records atomically, so concurrent replicas share the
 * limit exactly. A refused hit is not recorded. */
#pragma once

#include "kv/kv.h"

#include <stdbool.h>
#include <stdint.h>

struct kv_rate_limit_result {
        bool allowed;
        int64_t count;          /* hits in the window, this one included when allowed */
        int64_t retry_after_ms; /* when refused: until the oldest hit leaves the window */
};

/* Records a hit on key at now_ms unless `limit` hits are already in the last
 * window_ms. Redis errors are returned (-ECONNREFUSED, ...): the caller
 * decides whether to fail open or closed. */
int kv_rate_limit_hit(struct kv *kv, const char *key, int limit, int64_t window_ms, int64_t now_ms,
                      struct kv_rate_limit_result *ret);

/* Failures kept the same way (a sorted set of the last window's), for
 * throttles that grow with failures rather than with attempts. */
struct kv_failures {
        int64_t count;   /* in the last window */
        int64_t last_ms; /* the newest, 0 when none */
};
/* An attempt counted as a failure before it is checked, atomically: *ret
 * gets the failures of the last window before it, and the attempt is added
 * as `member` (unique; 64 bytes) -- so concurrent attempts each see the ones
 * before them, and a throttle decided on *ret holds however many arrive at
 * once. An attempt that turns out fine, or that the throttle turns away, is
 * withdrawn. */
int kv_failures_claim(struct kv *kv, const char *key, int64_t window_ms, int64_t now_ms,
                      struct kv_failures *ret, char member[64]);
int kv_failures_withdraw(struct kv *kv, const char *key, const char *member);
