/* Who may change a book's stock, against the memory store and the memory
 * catalog: the book's seller and admins; everyone else is refused and the
 * level stays as it was, and a catalog that cannot answer changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "inventory-app.h"
#include "inventory-books-memory.h"
#include "inventory-store-memory.h"

#include <errno.h>
#include <string.h>

static struct inventory_memory store;
static struct inventory_memory_books books;
static struct inventory_app app;

static const struct inventory_caller seller_a = {.subject = "seller-a", .role = ROLE_SELLER};
static const struct inventory_caller seller_b = {.subject = "seller-b", .role = ROLE_SELLER};
static const struct inventory_caller admin = {.subject = "admin-1", .role = ROLE_ADMIN};
static const struct inventory_caller customer = {.subject = "seller-a", .role = 0};

static int setup(void **state)
{
        (void)state;
        inventory_memory_init(&store);
        memset(&books, 0, sizeof(books));
        assert_int_equal(inventory_memory_books_add(&books, "book-a", "seller-a"), 0);
        app.store = inventory_store_memory(&store);
        app.books = inventory_books_memory(&books);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        inventory_memory_free(&store);
        return 0;
}

static int64_t on_hand_of(const char *book)
{
        struct inventory_level l;
        assert_int_equal(inventory_get_stock(&app, book, &l), 0);
        return l.on_hand;
}

static void the_seller_sets_and_adjusts_their_own_book(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(inventory_set_stock(&app, &seller_a, "book-a", 7, &l), IE_OK);
        assert_int_equal(l.on_hand, 7);
        assert_int_equal(inventory_adjust_stock(&app, &seller_a, "book-a", -2, &l), IE_OK);
        assert_int_equal(on_hand_of("book-a"), 5);
}

static void another_seller_and_a_customer_are_refused(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(inventory_set_stock(&app, &seller_a, "book-a", 3, &l), IE_OK);
        assert_int_equal(inventory_set_stock(&app, &seller_b, "book-a", 9, &l), IE_NOT_OWNER);
        assert_int_equal(inventory_adjust_stock(&app, &seller_b, "book-a", 1, &l), IE_NOT_OWNER);
        /* the customer's subject matches the seller, but the role does not */
        assert_int_equal(inventory_set_stock(&app, &customer, "book-a", 9, &l), IE_NOT_OWNER);
        assert_int_equal(on_hand_of("book-a"), 3);
}

static void an_admin_may_change_any_book(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(inventory_set_stock(&app, &admin, "book-a", 11, &l), IE_OK);
        assert_int_equal(on_hand_of("book-a"), 11);
}

static void a_book_the_catalog_does_not_show_is_not_found(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(inventory_set_stock(&app, &admin, "book-x", 1, &l), IE_BOOK_NOT_FOUND);
        assert_int_equal(inventory_set_stock(&app, &admin, "", 1, &l), IE_BOOK_ID_INVALID);
        assert_int_equal(on_hand_of("book-x"), 0);
}

static void a_catalog_that_cannot_answer_changes_nothing(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(inventory_set_stock(&app, &seller_a, "book-a", 4, &l), IE_OK);
        books.failure = -EHOSTUNREACH;
        assert_int_equal(inventory_set_stock(&app, &seller_a, "book-a", 8, &l), -EHOSTUNREACH);
        assert_int_equal(inventory_adjust_stock(&app, &admin, "book-a", 1, &l), -EHOSTUNREACH);
        books.failure = 0;
        assert_int_equal(on_hand_of("book-a"), 4);
}

static void stock_below_what_is_reserved_is_refused(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(inventory_set_stock(&app, &seller_a, "book-a", 5, &l), IE_OK);
        struct inventory_item item = {.book_id = "book-a", .quantity = 4};
        struct inventory_reservation res;
        char message[128];
        assert_int_equal(
                inventory_reserve(&app, "order-1", &item, 1, -1, &res, message, sizeof(message)),
                IE_OK);
        assert_int_equal(inventory_set_stock(&app, &seller_a, "book-a", 3, &l), IE_BELOW_RESERVED);
        assert_int_equal(inventory_adjust_stock(&app, &seller_a, "book-a", -2, &l),
                         IE_BELOW_RESERVED);
        assert_int_equal(on_hand_of("book-a"), 5);
}

static void stock_above_the_ceiling_says_so(void **state)
{
        (void)state;
        struct inventory_level l;
        assert_int_equal(
                inventory_set_stock(&app, &seller_a, "book-a", INVENTORY_MAX_ON_HAND - 1, &l),
                IE_OK);
        assert_int_equal(inventory_adjust_stock(&app, &seller_a, "book-a", 2, &l),
                         IE_STOCK_TOO_HIGH);
        assert_int_equal(inventory_adjust_stock(&app, &seller_a, "book-a", 1, &l), IE_OK);
        assert_int_equal(on_hand_of("book-a"), INVENTORY_MAX_ON_HAND);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(the_seller_sets_and_adjusts_their_own_book, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(another_seller_and_a_customer_are_refused, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(an_admin_may_change_any_book, setup, teardown),
                cmocka_unit_test_setup_teardown(a_book_the_catalog_does_not_show_is_not_found,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(a_catalog_that_cannot_answer_changes_nothing, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(stock_below_what_is_reserved_is_refused, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(stock_above_the_ceiling_says_so, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
