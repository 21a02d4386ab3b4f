/* The book cache against real MariaDB and Redis: a read that missed the
 * cache and read the row just before a writer changed it must not put its
 * old copy into the cache after the writer's invalidation. The interleaving
 * is made exact by a repository wrapper: the reader's database read returns
 * the old row only after the whole write (row and invalidation) happened.
 * Also: a fresh read (order's pricing) never answers from the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "catalog-app.h"
#include "catalog-cache-redis.h"
#include "catalog-mysql.h"

#include "../../../tests/contract/contract-db.h"

#include <errno.h>
#include <string.h>

static struct db_pool *pool;
static char schema[64];
static struct kv *kv;
static struct catalog_cache_redis redis;
static struct catalog_app app;
static struct catalog_repo mysql_repo;
static const struct catalog_caller seller = {.subject = "seller-c", .role = ROLE_SELLER};
static const struct catalog_caller anyone = {.subject = "", .role = 0};

/* What the writer does while the reader is between its read and its fill. */
static void (*strike)(const char *id);

static int slow_get_book(void *self, const char *id, struct catalog_book *ret)
{
        int r = mysql_repo.ops->get_book(mysql_repo.self, id, ret);
        void (*now)(const char *) = strike;
        strike = NULL; /* once, and not for the writer's own reads */
        if (r == 0 && now)
                now(id);
        return r;
}

/* The MySQL repository, with get_book slowed down as above. */
static struct catalog_repo_ops slow_ops;

static int setup(void **state)
{
        (void)state;
        if (contract_schema_open("bookstore_cc", catalog_migrations, catalog_migrations_count,
                                 schema, &pool) < 0)
                return -1;
        struct kv_config kc = {.host = contract_env("BOOKSTORE_REDIS_HOST"),
                               .port = atoi(contract_env("BOOKSTORE_REDIS_PORT")),
                               .password = "",
                               .pool_size = 2,
                               .connect_timeout_ms = 1000,
                               .command_timeout_ms = 1000};
        if (kv_new(&kv, &kc) < 0)
                return -1;
        redis = (struct catalog_cache_redis){.kv = kv, .ttl_ms = 60000};
        mysql_repo = catalog_repo_mysql(pool);
        slow_ops = *mysql_repo.ops;
        slow_ops.get_book = slow_get_book;
        app = (struct catalog_app){.repo = {.ops = &slow_ops, .self = mysql_repo.self},
                                   .cache = catalog_cache_redis(&redis),
                                   .env = core_env_system()};
        return contract_exec(pool, "INSERT INTO categories (id, name, created_at) VALUES "
                                   "('cat-1', 'Fiction', 0)");
}

static int teardown(void **state)
{
        (void)state;
        contract_schema_drop(pool, schema);
        kv_free(kv);
        return 0;
}

static void new_book_on_sale(char id[37], int64_t units)
{
        static int n;
        char isbn[14];
        /* 978000000000c with a valid check digit: vary the 12th digit, fix the 13th */
        static const char *const isbns[] = {"9780000000002", "9780000000019", "9780000000026",
                                            "9780000000033"};
        snprintf(isbn, sizeof(isbn), "%s", isbns[n++ % 4]);
        const char *authors[] = {"A. Author"};
        struct catalog_book_input in = {.title = "Cached",
                                        .authors = authors,
                                        .n_authors = 1,
                                        .isbn13 = isbn,
                                        .description = "",
                                        .category_id = "cat-1",
                                        .price = {.currency = "EUR", .units = units}};
        struct catalog_book b;
        char explain[256];
        assert_int_equal(catalog_create_book(&app, &seller, &in, &b), CE_OK);
        assert_int_equal(
                catalog_set_status(&app, &seller, b.id, BOOK_ON_SALE, &b, explain, sizeof(explain)),
                CE_OK);
        memcpy(id, b.id, 37);
}

static void reprice_to_20(const char *id)
{
        struct catalog_book_input in = {.price = {.currency = "EUR", .units = 20}};
        struct catalog_book b;
        assert_int_equal(catalog_update_book(&app, &seller, id, CATALOG_UPDATE_PRICE, &in, &b),
                         CE_OK);
}

static void unlist(const char *id)
{
        struct catalog_book b;
        char explain[256];
        assert_int_equal(
                catalog_set_status(&app, &seller, id, BOOK_UNLISTED, &b, explain, sizeof(explain)),
                CE_OK);
}

static void a_miss_that_read_the_old_price_does_not_cache_it(void **state)
{
        (void)state;
        char id[37];
        struct catalog_book b;
        new_book_on_sale(id, 10);
        strike = reprice_to_20;
        assert_int_equal(catalog_get_book(&app, &anyone, id, false, &b), CE_OK);
        assert_int_equal(b.price.units, 10); /* it read before the write: fine, once */
        assert_null(strike);
        for (int i = 0; i < 3; i++) { /* and every read after the write sees it */
                assert_int_equal(catalog_get_book(&app, &anyone, id, false, &b), CE_OK);
                assert_int_equal(b.price.units, 20);
        }
}

static void a_miss_that_read_it_on_sale_does_not_outlive_the_unlisting(void **state)
{
        (void)state;
        char id[37];
        struct catalog_book b;
        new_book_on_sale(id, 10);
        strike = unlist;
        assert_int_equal(catalog_get_book(&app, &anyone, id, false, &b), CE_OK);
        assert_int_equal(catalog_get_book(&app, &anyone, id, false, &b), CE_BOOK_NOT_FOUND);
        assert_int_equal(catalog_get_book(&app, &seller, id, false, &b), CE_OK);
        assert_int_equal(b.status, BOOK_UNLISTED);
}

static void a_fresh_read_never_answers_from_the_cache(void **state)
{
        (void)state;
        char id[37];
        struct catalog_book b;
        new_book_on_sale(id, 10);
        assert_int_equal(catalog_get_book(&app, &anyone, id, false, &b), CE_OK); /* cached */
        /* the row changes behind the cache's back (another writer's invalidation lost) */
        struct db_value v = db_text(id);
        assert_int_equal(db_pool_exec(pool, "UPDATE books SET price_units = 30 WHERE id = ?", &v, 1,
                                      NULL, NULL),
                         0);
        assert_int_equal(catalog_get_book(&app, &anyone, id, false, &b), CE_OK);
        assert_int_equal(b.price.units, 10); /* the cache, as it is */
        assert_int_equal(catalog_get_book(&app, &anyone, id, true, &b), CE_OK);
        assert_int_equal(b.price.units, 30);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_miss_that_read_the_old_price_does_not_cache_it),
                cmocka_unit_test(a_miss_that_read_it_on_sale_does_not_outlive_the_unlisting),
                cmocka_unit_test(a_fresh_read_never_answers_from_the_cache),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
