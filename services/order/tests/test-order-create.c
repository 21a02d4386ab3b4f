/* CreateOrder's use case against the memory store and catalog, on a fake
 * clock: prices come from the catalog, a repeated key answers the first
 * order, and a caller's deadline that passes while the catalog is asked
 * stores nothing (the saga gave up on this call and compensates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "order-app.h"
#include "order-memory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct order_memory_store store;
static struct order_memory_catalog catalog;
static struct core_env_fake clock_fake;
static struct order_app app;
static int64_t lookup_cost_ms; /* how far each catalog lookup moves the clock */

/* The memory catalog, taking lookup_cost_ms of the fake clock per book. */
static int slow_book(void *self, const char *book_id, const char *authorization,
                     struct order_book *ret)
{
        clock_fake.now_ms += lookup_cost_ms;
        struct order_peers inner = order_peers_memory(&catalog);
        return inner.ops->book(inner.self, book_id, authorization, ret);
}

static int no_address(void *self, const char *address_id, const char *authorization,
                      struct order_address *ret)
{
        return -ENOENT;
}

static const struct order_peers_ops slow_ops = {.book = slow_book, .address = no_address};

static const struct order_address where = {.recipient = "Ada",
                                           .line1 = "1 Main St",
                                           .city = "Basel",
                                           .postal_code = "4000",
                                           .country_code = "CH"};
static const struct order_item_request two_books[] = {{"book-1", 2}, {"book-2", 1}};
static const struct order_caller saga = {.subject = "checkout", .role = ROLE_SERVICE};

static int setup(void **state)
{
        (void)state;
        order_memory_store_init(&store);
        memset(&catalog, 0, sizeof(catalog));
        struct order_money ten = {.currency = "EUR", .units = 10};
        struct order_money three = {.currency = "EUR", .units = 3, .nanos = 500000000};
        assert_int_equal(order_memory_catalog_add(&catalog, "book-1", "seller-1", &ten), 0);
        assert_int_equal(order_memory_catalog_add(&catalog, "book-2", "seller-2", &three), 0);
        clock_fake = (struct core_env_fake){.now_ms = 1800000000000};
        lookup_cost_ms = 0;
        app = (struct order_app){.store = order_store_memory(&store),
                                 .peers = {.ops = &slow_ops, .self = NULL},
                                 .env = core_env_fake(&clock_fake)};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        order_memory_store_free(&store);
        return 0;
}

static struct order_create_request request(const char *key, int64_t deadline_ms)
{
        return (struct order_create_request){.items = two_books,
                                             .n_items = 2,
                                             .shipping_address_id = "",
                                             .inline_address = &where,
                                             .idempotency_key = key,
                                             .customer_id = "cust-1",
                                             .deadline_ms = deadline_ms};
}

static void an_order_is_priced_by_the_catalog(void **state)
{
        (void)state;
        struct order_create_request req = request("k1", clock_fake.now_ms + 5000);
        struct order o;
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_OK);
        assert_int_equal(o.status, ORDER_PENDING);
        assert_string_equal(o.customer_id, "cust-1");
        assert_int_equal(o.total.units, 23);
        assert_int_equal(o.total.nanos, 500000000);
        struct order again;
        assert_int_equal(order_create(&app, &saga, &req, &again), OE_OK);
        assert_string_equal(again.id, o.id);
        assert_int_equal(store.n, 1);
}

static void a_deadline_that_passes_while_pricing_stores_nothing(void **state)
{
        (void)state;
        lookup_cost_ms = 600; /* two lookups: 1.2 s, the caller allowed 1 s */
        struct order_create_request req = request("k2", clock_fake.now_ms + 1000);
        struct order o;
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_DEADLINE);
        assert_int_equal(store.n, 0);
        /* the saga's undo asks again with the same key and time to spare */
        req.deadline_ms = clock_fake.now_ms + 5000;
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_OK);
        assert_int_equal(store.n, 1);
}

static void without_a_deadline_slow_pricing_still_stores(void **state)
{
        (void)state;
        lookup_cost_ms = 60000;
        struct order_create_request req = request("k3", 0);
        struct order o;
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_OK);
        assert_int_equal(store.n, 1);
}

static void a_late_repeat_of_a_stored_order_still_answers_it(void **state)
{
        (void)state;
        struct order_create_request req = request("k4", 0);
        struct order first, again;
        assert_int_equal(order_create(&app, &saga, &req, &first), OE_OK);
        req.deadline_ms = clock_fake.now_ms; /* already passed: nothing new is stored */
        assert_int_equal(order_create(&app, &saga, &req, &again), OE_OK);
        assert_string_equal(again.id, first.id);
        assert_int_equal(store.n, 1);
}

static void a_total_beyond_any_order_names_that_rule(void **state)
{
        (void)state;
        struct order_money huge = {.currency = "EUR", .units = INT64_MAX / 2};
        struct order_money big = {.currency = "EUR", .units = ORDER_MAX_TOTAL_UNITS / 100};
        assert_int_equal(order_memory_catalog_add(&catalog, "book-h", "seller-1", &huge), 0);
        assert_int_equal(order_memory_catalog_add(&catalog, "book-g", "seller-1", &big), 0);
        static const struct order_item_request overflow[] = {{"book-h", 3}};
        static const struct order_item_request at_limit[] = {{"book-g", 100}};
        static const struct order_item_request under[] = {{"book-g", 99}};
        struct order_create_request req = request("k5", 0);
        struct order o;
        req.items = overflow, req.n_items = 1;
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_TOTAL_TOO_LARGE);
        req.items = at_limit, req.idempotency_key = "k6";
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_TOTAL_TOO_LARGE);
        req.items = under, req.idempotency_key = "k7";
        assert_int_equal(order_create(&app, &saga, &req, &o), OE_OK);
        assert_int_equal(store.n, 1);
}

static void a_refusal_leaves_the_callers_order_untouched(void **state)
{
        (void)state;
        static const struct order_item_request unknown[] = {{"no-such-book", 1}};
        struct order_create_request req = request("k8", 0);
        req.items = unknown, req.n_items = 1;
        struct order *o = malloc(sizeof(*o)), *before = malloc(sizeof(*before));
        memset(o, 0xab, sizeof(*o));
        *before = *o;
        assert_int_equal(order_create(&app, &saga, &req, o), OE_BOOK_NOT_FOUND);
        assert_memory_equal(o, before, sizeof(*o));
        req = request("k1", 0); /* a mismatching repeat of a stored key */
        struct order first;
        assert_int_equal(order_create(&app, &saga, &req, &first), OE_OK);
        req.items = unknown, req.n_items = 1;
        assert_int_equal(order_create(&app, &saga, &req, o), OE_IDEMPOTENCY_MISMATCH);
        assert_memory_equal(o, before, sizeof(*o));
        free(o);
        free(before);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(an_order_is_priced_by_the_catalog, setup, teardown),
                cmocka_unit_test_setup_teardown(a_deadline_that_passes_while_pricing_stores_nothing,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(without_a_deadline_slow_pricing_still_stores, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(a_late_repeat_of_a_stored_order_still_answers_it,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(a_total_beyond_any_order_names_that_rule, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(a_refusal_leaves_the_callers_order_untouched, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
