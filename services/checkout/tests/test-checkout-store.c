/* The saga store's contract, against the memory store (unit suite) and
 * MariaDB (contract suite; argv[1] = "mysql"): the resume scan pages through
 * every unfinished saga (not the first 256), leases run on the store's
 * clock (a caller gives a duration, never an instant), and a client's key
 * and a cancellation's key are separate namespaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-mysql.h"
#include "checkout-store-memory.h"

#include "../../../tests/contract/contract-db.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MANY = 300, PAGE = 256 };

static bool use_mysql;
static struct checkout_memory_store mem;
static struct db_pool *pool;
static char schema[64];
static struct checkout_store store;
static int64_t mem_now = 1000000;
static int ids;

static int64_t mem_clock(void *self)
{
        return mem_now;
}

static const struct core_env_ops clock_ops = {.now_ms = mem_clock};

/* Lets `ms` pass on the store's clock. */
static void let_pass(int64_t ms)
{
        if (!use_mysql) {
                mem_now += ms;
                return;
        }
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static int setup(void **state)
{
        if (use_mysql) {
                if (contract_schema_open("bookstore_cos", checkout_migrations,
                                         checkout_migrations_count, schema, &pool) < 0)
                        return -1;
                store = checkout_store_mysql(pool);
                return 0;
        }
        checkout_memory_store_init(&mem, (struct core_env){.ops = &clock_ops});
        store = checkout_store_memory(&mem);
        return 0;
}

static int teardown(void **state)
{
        if (use_mysql)
                contract_schema_drop(pool, schema);
        else
                checkout_memory_store_free(&mem);
        return 0;
}

static void new_saga(struct checkout_saga *s, enum checkout_kind kind, const char *customer,
                     const char *key)
{
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "00000000-0000-4000-8000-%012d", ++ids);
        s->kind = kind;
        saga_start(checkout_def_of(kind), &s->state);
        snprintf(s->customer_id, sizeof(s->customer_id), "%s", customer);
        snprintf(s->idempotency_key, sizeof(s->idempotency_key), "%s", key);
        s->created_ms = s->updated_ms = 1;
}

static void the_resume_scan_pages_through_every_unfinished_saga(void **state)
{
        struct checkout_saga *s = malloc(sizeof(*s));
        char key[32];
        for (int i = 0; i < MANY; i++) {
                snprintf(key, sizeof(key), "page-%d", i);
                new_saga(s, CHECKOUT_KIND_CHECKOUT, "cust-page", key);
                assert_int_equal(store.ops->insert(store.self, s, "me", 60000), 0);
        }
        free(s);
        char(*page)[37] = calloc(PAGE, sizeof(*page));
        int64_t *seqs = calloc(PAGE, sizeof(*seqs));
        int64_t after = 0;
        size_t n = PAGE, seen = 0, pages = 0;
        while (n == PAGE) {
                assert_int_equal(
                        store.ops->list_unfinished(store.self, "me", after, page, seqs, PAGE, &n),
                        0);
                for (size_t i = 0; i < n; i++) {
                        assert_true(seqs[i] > after); /* in store order, no repeats */
                        after = seqs[i];
                }
                seen += n;
                pages++;
        }
        assert_true(seen >= MANY); /* every one of them, over more than one page */
        assert_true(pages >= 2);
        /* another owner sees none of them: their leases run for a minute */
        assert_int_equal(store.ops->list_unfinished(store.self, "other", 0, page, seqs, PAGE, &n),
                         0);
        assert_int_equal(n, 0);
        free(page);
        free(seqs);
}

static void leases_run_out_on_the_stores_clock(void **state)
{
        struct checkout_saga s, got;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-lease", "lease-1");
        assert_int_equal(store.ops->insert(store.self, &s, "a", 60000), 0);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), -ESTALE);
        /* a renews with a short lease; once it has run out, b takes over at once */
        assert_int_equal(store.ops->save(store.self, &s, "a", 50), 0);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), -ESTALE);
        let_pass(1200);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), 0);
        assert_string_equal(got.id, s.id);
        assert_int_equal(store.ops->save(store.self, &s, "a", 60000), -ESTALE); /* a lost it */
        assert_int_equal(store.ops->save(store.self, &s, "b", 60000), 0);
}

static void a_checkout_key_and_a_cancellation_key_do_not_collide(void **state)
{
        struct checkout_saga s, got;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-key", "cancel:order-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), 0);
        new_saga(&s, CHECKOUT_KIND_CANCELLATION, "cust-key", "cancel:order-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), 0);
        assert_int_equal(store.ops->find_by_key(store.self, "cust-key", CHECKOUT_KIND_CANCELLATION,
                                                "cancel:order-1", &got),
                         0);
        assert_int_equal(got.kind, CHECKOUT_KIND_CANCELLATION);
        new_saga(&s, CHECKOUT_KIND_CANCELLATION, "cust-key", "cancel:order-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), -EEXIST);
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(the_resume_scan_pages_through_every_unfinished_saga),
                cmocka_unit_test(leases_run_out_on_the_stores_clock),
                cmocka_unit_test(a_checkout_key_and_a_cancellation_key_do_not_collide),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
