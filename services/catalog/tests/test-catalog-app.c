/* The catalog's use cases against the memory repository and cache, with a
 * fake clock and ids: who sees a book in which status, listings and their
 * pages, status changes, categories, and the cache -- filled on a read,
 * dropped by every write, never refilled by a read older than a write, and
 * never failing a read when it is down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "catalog-app.h"
#include "catalog-memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct catalog_memory repo;
static struct catalog_cache_memory cache;
static struct core_env_fake clock_and_ids;
static struct catalog_app app;
static int cache_errors;

static const struct catalog_caller seller = {.subject = "seller-a", .role = ROLE_SELLER};
static const struct catalog_caller other_seller = {.subject = "seller-b", .role = ROLE_SELLER};
static const struct catalog_caller admin = {.subject = "admin-1", .role = ROLE_ADMIN};
static const struct catalog_caller customer = {.subject = "customer-1", .role = 0};
static const struct catalog_caller anonymous = {.subject = "", .role = 0};

static void count_cache_error(int err, const char *what)
{
        (void)err;
        (void)what;
        cache_errors++;
}

static int setup(void **state)
{
        (void)state;
        assert_int_equal(catalog_memory_init(&repo), 0);
        assert_int_equal(catalog_cache_memory_init(&cache), 0);
        clock_and_ids = (struct core_env_fake){.now_ms = 1700000000000};
        cache_errors = 0;
        app = (struct catalog_app){.repo = catalog_repo_memory(&repo),
                                   .cache = catalog_cache_memory(&cache),
                                   .env = core_env_fake(&clock_and_ids),
                                   .on_cache_error = count_cache_error};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        catalog_memory_free(&repo);
        catalog_cache_memory_free(&cache);
        return 0;
}

/* valid ISBN-13s: 978000000000 followed by its check digit */
static void isbn(int n, char out[14])
{
        snprintf(out, 13, "978%09u", (unsigned)n % 1000000000u);
        int sum = 0;
        for (int i = 0; i < 12; i++)
                sum += (out[i] - '0') * (i % 2 ? 3 : 1);
        out[12] = (char)('0' + (10 - sum % 10) % 10);
        out[13] = '\0';
}

static struct catalog_book create(const struct catalog_caller *by, int n, long units)
{
        static const char *const authors[] = {"Ursula K. Le Guin", "Anon"};
        char code[14];
        isbn(n, code);
        char title[32];
        snprintf(title, sizeof(title), "Book %d", n);
        struct catalog_book_input in = {.title = title,
                                        .authors = authors,
                                        .n_authors = n % 2 ? 1 : 2,
                                        .isbn13 = code,
                                        .description = "",
                                        .category_id = "",
                                        .price = {.currency = "EUR", .units = units}};
        struct catalog_book b;
        assert_int_equal(catalog_create_book(&app, by, &in, &b), CE_OK);
        return b;
}

static void set_status(const char *id, enum catalog_status to)
{
        struct catalog_book b;
        char why[256];
        assert_int_equal(catalog_set_status(&app, &seller, id, to, &b, why, sizeof(why)), CE_OK);
        assert_int_equal(b.status, to);
}

static void a_registered_book_is_seen_by_its_seller_and_admins_only(void **state)
{
        (void)state;
        struct catalog_book b = create(&seller, 1, 12), got;
        assert_int_equal(b.status, BOOK_REGISTERED);
        assert_string_equal(b.seller_id, "seller-a");
        assert_int_equal(b.created_at, 1700000000);
        assert_int_equal(catalog_get_book(&app, &seller, b.id, false, &got), CE_OK);
        assert_int_equal(catalog_get_book(&app, &admin, b.id, false, &got), CE_OK);
        /* to everyone else it does not exist (not even that it exists) */
        assert_int_equal(catalog_get_book(&app, &customer, b.id, false, &got), CE_BOOK_NOT_FOUND);
        assert_int_equal(catalog_get_book(&app, &other_seller, b.id, false, &got),
                         CE_BOOK_NOT_FOUND);
        set_status(b.id, BOOK_ON_SALE);
        assert_int_equal(catalog_get_book(&app, &anonymous, b.id, false, &got), CE_OK);
        assert_int_equal(got.status, BOOK_ON_SALE);
        assert_int_equal(got.price.units, 12);
}

static void an_isbn_is_taken_once(void **state)
{
        (void)state;
        create(&seller, 2, 5);
        static const char *const authors[] = {"X"};
        char code[14];
        isbn(2, code);
        struct catalog_book_input in = {.title = "Again",
                                        .authors = authors,
                                        .n_authors = 1,
                                        .isbn13 = code,
                                        .description = "",
                                        .category_id = "",
                                        .price = {.currency = "EUR", .units = 1}};
        struct catalog_book b;
        assert_int_equal(catalog_create_book(&app, &other_seller, &in, &b), CE_ISBN_TAKEN);
        assert_int_equal(repo.n_books, 1);
}

static void only_the_seller_or_an_admin_edits_and_the_edit_is_read_back(void **state)
{
        (void)state;
        struct catalog_book b = create(&seller, 3, 10), got;
        set_status(b.id, BOOK_ON_SALE);
        assert_int_equal(catalog_get_book(&app, &customer, b.id, false, &got), CE_OK); /* cached */
        struct catalog_book_input in = {.price = {.currency = "EUR", .units = 15}};
        assert_int_equal(
                catalog_update_book(&app, &other_seller, b.id, CATALOG_UPDATE_PRICE, &in, &got),
                CE_NOT_OWNER);
        clock_and_ids.now_ms += 5000;
        assert_int_equal(catalog_update_book(&app, &seller, b.id, CATALOG_UPDATE_PRICE, &in, &got),
                         CE_OK);
        /* the write dropped the cached copy: the next read has the new price */
        assert_int_equal(catalog_get_book(&app, &customer, b.id, false, &got), CE_OK);
        assert_int_equal(got.price.units, 15);
        assert_int_equal(got.updated_at, 1700000005);
        assert_string_equal(got.title, "Book 3"); /* fields outside the mask kept */
}

static void a_read_older_than_a_write_does_not_refill_the_cache(void **state)
{
        (void)state;
        struct catalog_book b = create(&seller, 4, 10), old;
        set_status(b.id, BOOK_ON_SALE);
        /* a reader misses and reads the row... */
        int64_t generation = -1;
        assert_int_equal(app.cache.ops->get(app.cache.self, b.id, &old, &generation), -ENOENT);
        assert_int_equal(app.repo.ops->get_book(app.repo.self, b.id, &old), 0);
        /* ...a writer changes the price and invalidates... */
        struct catalog_book_input in = {.price = {.currency = "EUR", .units = 99}};
        struct catalog_book got;
        assert_int_equal(catalog_update_book(&app, &seller, b.id, CATALOG_UPDATE_PRICE, &in, &got),
                         CE_OK);
        /* ...and the reader's late fill with the old row is dropped */
        assert_int_equal(app.cache.ops->put(app.cache.self, &old, generation), 0);
        assert_int_equal(catalog_get_book(&app, &customer, b.id, false, &got), CE_OK);
        assert_int_equal(got.price.units, 99);
}

static void a_cache_that_is_down_is_reported_and_reads_still_work(void **state)
{
        (void)state;
        struct catalog_book b = create(&seller, 5, 7), got;
        set_status(b.id, BOOK_ON_SALE);
        cache.fail_with = -ECONNREFUSED;
        int before = cache_errors;
        assert_int_equal(catalog_get_book(&app, &customer, b.id, false, &got), CE_OK);
        assert_int_equal(got.price.units, 7);
        assert_true(cache_errors > before);
        /* a write still succeeds; the failed invalidation is reported */
        before = cache_errors;
        struct catalog_book_input in = {.price = {.currency = "EUR", .units = 8}};
        assert_int_equal(catalog_update_book(&app, &seller, b.id, CATALOG_UPDATE_PRICE, &in, &got),
                         CE_OK);
        assert_int_equal(cache_errors, before + 1);
        cache.fail_with = 0;
}

static void status_changes_follow_the_rules_and_repeat_harmlessly(void **state)
{
        (void)state;
        struct catalog_book b = create(&seller, 6, 7), got;
        char why[256] = "";
        assert_int_equal(
                catalog_set_status(&app, &seller, b.id, BOOK_SOLD_OUT, &got, why, sizeof(why)),
                CE_TRANSITION);
        assert_non_null(
                strstr(why, "the allowed changes are: BOOK_STATUS_ON_SALE BOOK_STATUS_UNLISTED"));
        set_status(b.id, BOOK_ON_SALE);
        set_status(b.id, BOOK_ON_SALE); /* again: already there */
        assert_int_equal(
                catalog_set_status(&app, &customer, b.id, BOOK_UNLISTED, &got, why, sizeof(why)),
                CE_NOT_OWNER);
        set_status(b.id, BOOK_UNLISTED);
        assert_int_equal(
                catalog_set_status(&app, &seller, b.id, BOOK_ON_SALE, &got, why, sizeof(why)),
                CE_TRANSITION);
        assert_non_null(strstr(why, "final"));
        assert_int_equal(catalog_get_book(&app, &customer, b.id, false, &got), CE_BOOK_NOT_FOUND);
}

static void listings_page_through_what_the_caller_may_see(void **state)
{
        (void)state;
        char ids[7][37];
        for (int i = 0; i < 7; i++) {
                struct catalog_book b = create(&seller, 10 + i, 1);
                memcpy(ids[i], b.id, sizeof(ids[i]));
                if (i != 3) /* one stays REGISTERED */
                        set_status(b.id, BOOK_ON_SALE);
        }
        static struct catalog_book page[CATALOG_PAGE_MAX + 1];
        char token[32] = "", seen[8][37];
        size_t n_seen = 0, n;
        do {
                struct catalog_list_request req = {.page_size = 2, .page_token = token};
                char next[32];
                assert_int_equal(catalog_list_books(&app, &customer, &req, page, &n, next), CE_OK);
                assert_true(n <= 2);
                for (size_t i = 0; i < n; i++)
                        memcpy(seen[n_seen++], page[i].id, 37);
                memcpy(token, next, sizeof(token));
        } while (*token && n_seen < 8);
        assert_int_equal(n_seen, 6); /* every book on sale, once, in creation order */
        for (int i = 0, k = 0; i < 7; i++)
                if (i != 3)
                        assert_string_equal(seen[k++], ids[i]);
        /* the seller also sees their registered book; an author filter is exact */
        struct catalog_list_request all = {.page_size = 100};
        char next[32];
        assert_int_equal(catalog_list_books(&app, &seller, &all, page, &n, next), CE_OK);
        assert_int_equal(n, 7);
        struct catalog_list_request anon = {.page_size = 100, .author = "Anon"};
        assert_int_equal(catalog_list_books(&app, &customer, &anon, page, &n, next), CE_OK);
        assert_int_equal(n, 4); /* 10, 12, 14 and 16 have two authors, the second "Anon" */
        struct catalog_list_request partial = {.page_size = 100, .author = "Ano"};
        assert_int_equal(catalog_list_books(&app, &customer, &partial, page, &n, next), CE_OK);
        assert_int_equal(n, 0);
        struct catalog_list_request bad = {.page_token = "not-a-token"};
        assert_int_equal(catalog_list_books(&app, &customer, &bad, page, &n, next),
                         CE_PAGE_TOKEN_INVALID);
}

static void a_book_names_a_category_that_exists(void **state)
{
        (void)state;
        struct catalog_category c;
        assert_int_equal(catalog_create_category(&app, "Science fiction", &c), CE_OK);
        assert_int_equal(catalog_create_category(&app, "Science fiction", &c), CE_CATEGORY_TAKEN);
        struct catalog_book b = create(&seller, 20, 3), got;
        struct catalog_book_input in = {.category_id = "no-such-category"};
        assert_int_equal(
                catalog_update_book(&app, &seller, b.id, CATALOG_UPDATE_CATEGORY, &in, &got),
                CE_CATEGORY_UNKNOWN);
        in.category_id = c.id;
        assert_int_equal(
                catalog_update_book(&app, &seller, b.id, CATALOG_UPDATE_CATEGORY, &in, &got),
                CE_OK);
        assert_string_equal(got.category_id, c.id);
        struct catalog_category list[4];
        size_t n = 0;
        assert_int_equal(catalog_list_categories(&app, list, 4, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].name, "Science fiction");
}

static void best_sellers_show_only_books_on_sale_most_sold_first(void **state)
{
        (void)state;
        struct catalog_book a = create(&seller, 30, 1), b = create(&seller, 31, 1),
                            hidden = create(&seller, 32, 1);
        set_status(a.id, BOOK_ON_SALE);
        set_status(b.id, BOOK_ON_SALE);
        const struct catalog_book *books[] = {&a, &b, &hidden};
        long units[] = {3, 9, 50};
        for (int i = 0; i < 3; i++) {
                struct catalog_best_seller *s = &repo.sales[repo.n_sales++];
                snprintf(s->book_id, sizeof(s->book_id), "%s", books[i]->id);
                s->sales.units = units[i];
        }
        struct catalog_best_seller out[CATALOG_BEST_MAX];
        size_t n = 0;
        assert_int_equal(catalog_list_best_sellers(&app, NULL, 0, out, &n), CE_OK);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].book_id, b.id);
        assert_string_equal(out[1].book_id, a.id);
        assert_int_equal(catalog_list_best_sellers(&app, NULL, CATALOG_BEST_MAX + 1, out, &n),
                         CE_LIMIT_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(
                        a_registered_book_is_seen_by_its_seller_and_admins_only, setup, teardown),
                cmocka_unit_test_setup_teardown(an_isbn_is_taken_once, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        only_the_seller_or_an_admin_edits_and_the_edit_is_read_back, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(a_read_older_than_a_write_does_not_refill_the_cache,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_cache_that_is_down_is_reported_and_reads_still_work, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        status_changes_follow_the_rules_and_repeat_harmlessly, setup, teardown),
                cmocka_unit_test_setup_teardown(listings_page_through_what_the_caller_may_see,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(a_book_names_a_category_that_exists, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(
                        best_sellers_show_only_books_on_sale_most_sold_first, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
