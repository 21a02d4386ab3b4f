/* The environment port; see core/env.h. */
#include "core/env.h"

#include "core/clock.h"
#include "core/random.h"

#include <stdio.h>

double core_env_jitter(const struct core_env *e)
{
        uint32_t x;
        core_env_random(e, &x, sizeof(x));
        return (double)x / 4294967296.0;
}

static int64_t system_now_ms(void *self)
{
        return clock_realtime_ms();
}

static void system_new_id(void *self, char out[37])
{
        random_uuid7(out, clock_realtime_ms());
}

static void system_random(void *self, void *buf, size_t len)
{
        random_bytes(buf, len);
}

static const struct core_env_ops system_ops = {
        .now_ms = system_now_ms, .new_id = system_new_id, .random = system_random};

struct core_env core_env_system(void)
{
        return (struct core_env){.ops = &system_ops};
}

static int64_t fake_now_ms(void *self)
{
        return ((struct core_env_fake *)self)->now_ms;
}

static void fake_new_id(void *self, char out[37])
{
        struct core_env_fake *f = self;
        snprintf(out, 37, "00000000-0000-4000-8000-%012llx",
                 (unsigned long long)(++f->ids & 0xffffffffffffull));
}

static void fake_random(void *self, void *buf, size_t len)
{
        struct core_env_fake *f = self;
        unsigned char *p = buf;
        for (size_t i = 0; i < len; i++) {
                uint64_t x = f->rng ? f->rng : 1; /* xorshift64 */
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                f->rng = x;
                p[i] = (unsigned char)(x >> 24);
        }
}

static const struct core_env_ops fake_ops = {
        .now_ms = fake_now_ms, .new_id = fake_new_id, .random = fake_random};

struct core_env core_env_fake(struct core_env_fake *f)
{
        return (struct core_env){.ops = &fake_ops, .self = f};
}
