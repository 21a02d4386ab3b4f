/* The environment port every service's use cases see: the wall clock, new
 * ids and randomness (SQLite's xCurrentTime/xRandomness idea), so that time
 * and ids are deterministic in tests and simulations. One port for all
 * services: the system implementation reads the kernel (clock_gettime,
 * getrandom); the fake is a clock a test sets and advances, ids that count
 * up and randomness from a seed. Both are thread-safe as far as their
 * state is (the fake's is the test's to guard). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct core_env_ops {
        int64_t (*now_ms)(void *self);                     /* wall clock, ms since the epoch */
        void (*new_id)(void *self, char out[37]);          /* a UUID, 36 characters */
        void (*random)(void *self, void *buf, size_t len); /* cryptographically strong in
                                                              the system one */
};
struct core_env {
        const struct core_env_ops *ops;
        void *self;
};

static inline int64_t core_env_now_ms(const struct core_env *e)
{
        return e->ops->now_ms(e->self);
}

static inline int64_t core_env_now_s(const struct core_env *e)
{
        return e->ops->now_ms(e->self) / 1000;
}

static inline void core_env_new_id(const struct core_env *e, char out[37])
{
        e->ops->new_id(e->self, out);
}

static inline void core_env_random(const struct core_env *e, void *buf, size_t len)
{
        e->ops->random(e->self, buf, len);
}

/* A number in [0, 1), for retry jitter. */
double core_env_jitter(const struct core_env *e);

struct core_env core_env_system(void);

struct core_env_fake {
        int64_t now_ms; /* set and advance it */
        uint64_t ids;   /* the last id handed out: 00000000-0000-4000-8000-<ids, 12 hex> */
        uint64_t rng;   /* xorshift state; 0 is taken as 1 */
};
struct core_env core_env_fake(struct core_env_fake *f);
