/* The in-process first level of the book cache against a real Redis, with
 * two replicas' first levels over the same shared cache: a warm read is
 * answered in-process; an invalidation by one replica reaches the other
 * within the bound; a fill that an invalidation overtook is not kept (the
 * interleaving made exact by a wrapper of the shared cache); a replica that
 * cannot follow the channel reads the shared cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "catalog-cache-local.h"
#include "catalog-cache-redis.h"

#include "../../../tests/contract/contract-env.h"
#include "core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { BOUND_MS = 1000 };

static struct kv *kv;
static struct catalog_cache_redis redis;
static const struct catalog_cache_local_config cfg = {
        .entries = 64, .bound_ms = BOUND_MS, .ttl_ms = 60000};

static int setup(void **state)
{
        (void)state;
        struct kv_config kc = {.host = contract_env("BOOKSTORE_REDIS_HOST"),
                               .port = atoi(contract_env("BOOKSTORE_REDIS_PORT")),
                               .password = "",
                               .pool_size = 4,
                               .connect_timeout_ms = 1000,
                               .command_timeout_ms = 1000};
        if (kv_new(&kv, &kc) < 0)
                return -1;
        redis = (struct catalog_cache_redis){.kv = kv, .ttl_ms = 60000};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        kv_free(kv);
        return 0;
}

/* A book in the shared cache under a fresh id, as a miss and its fill put it. */
static void shared_holds(struct catalog_book *b, const char *title)
{
        static int n;
        memset(b, 0, sizeof(*b));
        snprintf(b->id, sizeof(b->id), "local-%d-%d", (int)getpid(), n++);
        snprintf(b->title, sizeof(b->title), "%s", title);
        struct catalog_cache shared = catalog_cache_redis(&redis);
        struct catalog_book miss;
        int64_t generation = 0;
        assert_int_equal(shared.ops->get(shared.self, b->id, &miss, &generation), -ENOENT);
        assert_int_equal(shared.ops->put(shared.self, b, generation), 0);
}

static struct catalog_cache_local *started(struct catalog_cache shared)
{
        struct catalog_cache_local *c;
        assert_int_equal(catalog_cache_local_start(&c, shared, kv, &cfg), 0);
        for (int i = 0; i < 200 && catalog_cache_local_stats(c).drops == 0; i++)
                usleep(10000); /* the first subscription starts empty: one clear */
        assert_true(catalog_cache_local_stats(c).drops > 0);
        return c;
}

static int get(struct catalog_cache_local *c, const char *id, struct catalog_book *ret)
{
        struct catalog_cache l = catalog_cache_local(c);
        int64_t generation;
        return l.ops->get(l.self, id, ret, &generation);
}

static void a_warm_read_is_answered_in_process(void **state)
{
        (void)state;
        struct catalog_cache_local *a = started(catalog_cache_redis(&redis));
        struct catalog_book b, got;
        shared_holds(&b, "Warm");
        assert_int_equal(get(a, b.id, &got), 0);
        assert_int_equal(catalog_cache_local_stats(a).shared_reads, 1);
        for (int i = 0; i < 5; i++) {
                assert_int_equal(get(a, b.id, &got), 0);
                assert_string_equal(got.title, "Warm");
        }
        assert_int_equal(catalog_cache_local_stats(a).local_hits, 5);
        assert_int_equal(catalog_cache_local_stats(a).shared_reads, 1);
        catalog_cache_local_stop(a);
}

static void an_invalidation_reaches_every_replica_within_the_bound(void **state)
{
        (void)state;
        struct catalog_cache_local *a = started(catalog_cache_redis(&redis)),
                                   *b = started(catalog_cache_redis(&redis));
        struct catalog_book book, got;
        shared_holds(&book, "Before");
        assert_int_equal(get(a, book.id, &got), 0);
        assert_int_equal(get(b, book.id, &got), 0);
        struct catalog_cache la = catalog_cache_local(a);
        assert_int_equal(la.ops->invalidate(la.self, book.id), 0);
        assert_int_equal(get(a, book.id, &got), -ENOENT); /* the writer's own: at once */
        int64_t t0 = clock_monotonic_ms();
        while (get(b, book.id, &got) == 0 && clock_monotonic_ms() - t0 < BOUND_MS)
                usleep(1000);
        assert_int_equal(get(b, book.id, &got), -ENOENT);
        catalog_cache_local_stop(a);
        catalog_cache_local_stop(b);
}

/* The shared cache for replica B, which lets replica A invalidate the book
 * after B's read of the shared entry and before B's fill, and waits until B
 * has applied that invalidation. */
static struct catalog_cache_local *writer, *reader;

static int overtaken_get(void *self, const char *id, struct catalog_book *ret, int64_t *gen)
{
        struct catalog_cache shared = catalog_cache_redis(self);
        int r = shared.ops->get(shared.self, id, ret, gen);
        uint64_t drops = catalog_cache_local_stats(reader).drops;
        struct catalog_cache w = catalog_cache_local(writer);
        assert_int_equal(w.ops->invalidate(w.self, id), 0);
        for (int i = 0; i < 1000 && catalog_cache_local_stats(reader).drops == drops; i++)
                usleep(1000);
        assert_true(catalog_cache_local_stats(reader).drops > drops);
        return r;
}

static int pass_put(void *self, const struct catalog_book *b, int64_t generation)
{
        struct catalog_cache shared = catalog_cache_redis(self);
        return shared.ops->put(shared.self, b, generation);
}

static int pass_invalidate(void *self, const char *id)
{
        struct catalog_cache shared = catalog_cache_redis(self);
        return shared.ops->invalidate(shared.self, id);
}

static void a_fill_overtaken_by_an_invalidation_is_not_kept(void **state)
{
        (void)state;
        static const struct catalog_cache_ops overtaken = {
                .get = overtaken_get, .put = pass_put, .invalidate = pass_invalidate};
        writer = started(catalog_cache_redis(&redis));
        reader = started((struct catalog_cache){.ops = &overtaken, .self = &redis});
        struct catalog_book book, got;
        shared_holds(&book, "Old");
        /* the read began before the write: the old copy is a correct answer... */
        assert_int_equal(get(reader, book.id, &got), 0);
        assert_string_equal(got.title, "Old");
        /* ...but it is not kept: the next read is no local hit, and finds the
         * shared entry gone */
        uint64_t hits = catalog_cache_local_stats(reader).local_hits;
        assert_int_equal(get(reader, book.id, &got), -ENOENT);
        assert_int_equal(catalog_cache_local_stats(reader).local_hits, hits);
        catalog_cache_local_stop(reader);
        catalog_cache_local_stop(writer);
}

static void a_replica_that_cannot_follow_reads_the_shared_cache(void **state)
{
        (void)state;
        struct kv_config down_cfg = CONTRACT_KV_UNREACHABLE;
        struct kv *down;
        assert_int_equal(kv_new(&down, &down_cfg), 0);
        struct catalog_cache_local *c;
        assert_int_equal(catalog_cache_local_start(&c, catalog_cache_redis(&redis), down, &cfg), 0);
        struct catalog_book book, got;
        shared_holds(&book, "Shared");
        for (int i = 0; i < 3; i++)
                assert_int_equal(get(c, book.id, &got), 0);
        struct catalog_cache_local_stats st = catalog_cache_local_stats(c);
        assert_int_equal(st.bypassed, 3);
        assert_int_equal(st.local_hits, 0);
        catalog_cache_local_stop(c);
        kv_free(down);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_warm_read_is_answered_in_process),
                cmocka_unit_test(an_invalidation_reaches_every_replica_within_the_bound),
                cmocka_unit_test(a_fill_overtaken_by_an_invalidation_is_not_kept),
                cmocka_unit_test(a_replica_that_cannot_follow_reads_the_shared_cache),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
