/* In-process first level of the book cache; see catalog-cache-local.h. */
#include "catalog-cache-local.h"
#include "catalog-cache-redis.h"

#include "core/clock.h"
#include "kv/sub.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct slot {
        pthread_mutex_t lock;
        struct catalog_book *book; /* NULL until first filled */
        bool filled;
        int64_t filled_ms;
};

struct catalog_cache_local {
        struct catalog_cache shared;
        struct catalog_cache_local_config cfg;
        struct slot *slots;
        size_t mask;
        struct kv_sub *sub;
        /* advanced under the slot's lock by every drop: a fill that saw an
         * older value lost a race with an invalidation and is not stored */
        _Atomic uint64_t drops;
        _Atomic uint64_t local_hits, shared_reads, bypassed;
};

static struct slot *slot_of(struct catalog_cache_local *c, const char *id, size_t len)
{
        uint64_t h = 1469598103934665603u; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)id[i]) * 1099511628211u;
        return &c->slots[h & c->mask];
}

static void drop(struct catalog_cache_local *c, const char *id, size_t len)
{
        struct slot *s = slot_of(c, id, len);
        pthread_mutex_lock(&s->lock);
        atomic_fetch_add(&c->drops, 1);
        if (s->filled && strlen(s->book->id) == len && !memcmp(s->book->id, id, len))
                s->filled = false;
        pthread_mutex_unlock(&s->lock);
}

static void on_message(void *ctx, const char *id, size_t len)
{
        drop(ctx, id, len);
}

/* A new subscription may have missed invalidations: start empty. */
static int on_resync(void *ctx)
{
        struct catalog_cache_local *c = ctx;
        for (size_t i = 0; i <= c->mask; i++) {
                pthread_mutex_lock(&c->slots[i].lock);
                atomic_fetch_add(&c->drops, 1);
                c->slots[i].filled = false;
                pthread_mutex_unlock(&c->slots[i].lock);
        }
        return 0;
}

static bool in_sync(struct catalog_cache_local *c, int64_t now)
{
        int64_t synced_at = kv_sub_synced_at_ms(c->sub);
        return synced_at && now - synced_at <= c->cfg.bound_ms;
}

static void fill(struct catalog_cache_local *c, struct slot *s, const struct catalog_book *b,
                 uint64_t drops_seen, int64_t now)
{
        pthread_mutex_lock(&s->lock);
        if (atomic_load(&c->drops) == drops_seen && (s->book || (s->book = malloc(sizeof(*b))))) {
                *s->book = *b;
                s->filled = true;
                s->filled_ms = now;
        }
        pthread_mutex_unlock(&s->lock);
}

static int local_get(void *self, const char *id, struct catalog_book *ret, int64_t *ret_generation)
{
        struct catalog_cache_local *c = self;
        int64_t now = clock_monotonic_ms();
        if (!in_sync(c, now)) {
                atomic_fetch_add_explicit(&c->bypassed, 1, memory_order_relaxed);
                return c->shared.ops->get(c->shared.self, id, ret, ret_generation);
        }
        struct slot *s = slot_of(c, id, strlen(id));
        bool hit = false;
        pthread_mutex_lock(&s->lock);
        if (s->filled && now - s->filled_ms < c->cfg.ttl_ms && !strcmp(s->book->id, id)) {
                *ret = *s->book;
                hit = true;
        }
        uint64_t drops_seen = atomic_load(&c->drops);
        pthread_mutex_unlock(&s->lock);
        if (hit) {
                atomic_fetch_add_explicit(&c->local_hits, 1, memory_order_relaxed);
                return 0;
        }
        atomic_fetch_add_explicit(&c->shared_reads, 1, memory_order_relaxed);
        int r = c->shared.ops->get(c->shared.self, id, ret, ret_generation);
        if (r == 0)
                fill(c, s, ret, drops_seen, now);
        return r;
}

/* Only the shared level is filled from the database; this one fills from its hits. */
static int local_put(void *self, const struct catalog_book *b, int64_t generation)
{
        struct catalog_cache_local *c = self;
        return c->shared.ops->put(c->shared.self, b, generation);
}

/* The shared invalidation publishes to every replica; this one drops at once. */
static int local_invalidate(void *self, const char *id)
{
        struct catalog_cache_local *c = self;
        int r = c->shared.ops->invalidate(c->shared.self, id);
        drop(c, id, strlen(id));
        return r;
}

static const struct catalog_cache_ops local_ops = {
        .get = local_get, .put = local_put, .invalidate = local_invalidate};

struct catalog_cache catalog_cache_local(struct catalog_cache_local *c)
{
        return (struct catalog_cache){.ops = &local_ops, .self = c};
}

struct catalog_cache_local_stats catalog_cache_local_stats(struct catalog_cache_local *c)
{
        return (struct catalog_cache_local_stats){.local_hits = atomic_load(&c->local_hits),
                                                  .shared_reads = atomic_load(&c->shared_reads),
                                                  .bypassed = atomic_load(&c->bypassed),
                                                  .drops = atomic_load(&c->drops)};
}

int catalog_cache_local_start(struct catalog_cache_local **ret, struct catalog_cache shared,
                              struct kv *kv, const struct catalog_cache_local_config *cfg)
{
        if (cfg->entries == 0 || cfg->bound_ms <= 0)
                return -EINVAL;
        size_t n = 1;
        while (n < cfg->entries)
                n <<= 1;
        struct catalog_cache_local *c = calloc(1, sizeof(*c));
        if (!c || !(c->slots = calloc(n, sizeof(*c->slots)))) {
                free(c);
                return -ENOMEM;
        }
        c->shared = shared;
        c->cfg = *cfg;
        c->mask = n - 1;
        for (size_t i = 0; i < n; i++)
                pthread_mutex_init(&c->slots[i].lock, NULL);
        struct kv_sub_config sc = {.channel = CATALOG_CACHE_CHANNEL,
                                   .ping_interval_ms =
                                           cfg->bound_ms / 4 > 0 ? cfg->bound_ms / 4 : 1,
                                   .on_message = on_message,
                                   .on_resync = on_resync,
                                   .ctx = c};
        int r = kv_sub_start(&c->sub, kv, &sc);
        if (r < 0) {
                c->sub = NULL;
                catalog_cache_local_stop(c);
                return r;
        }
        *ret = c;
        return 0;
}

void catalog_cache_local_stop(struct catalog_cache_local *c)
{
        if (!c)
                return;
        kv_sub_stop(c->sub);
        for (size_t i = 0; i <= c->mask; i++) {
                pthread_mutex_destroy(&c->slots[i].lock);
                free(c->slots[i].book);
        }
        free(c->slots);
        free(c);
}
