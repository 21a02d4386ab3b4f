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
int kv_failures_get(struct kv *kv, const char *key, int64_t window_ms, int64_t now_ms,
                    struct kv_failures *ret);
int kv_failures_add(struct kv *kv, const char *key, int64_t window_ms, int64_t now_ms);
