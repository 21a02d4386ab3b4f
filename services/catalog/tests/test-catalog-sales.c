/* The catalog's event-driven rules: status from stock, the sales read model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "catalog-sales.h"

static void stock_moves_only_books_on_sale_or_sold_out(void **state)
{
        (void)state;
        assert_int_equal(catalog_status_for_stock(BOOK_ON_SALE, false), BOOK_SOLD_OUT);
        assert_int_equal(catalog_status_for_stock(BOOK_SOLD_OUT, true), BOOK_ON_SALE);
        assert_int_equal(catalog_status_for_stock(BOOK_ON_SALE, true), 0);
        assert_int_equal(catalog_status_for_stock(BOOK_SOLD_OUT, false), 0);
        /* the seller decides when a book goes on sale; unlisted is final */
        assert_int_equal(catalog_status_for_stock(BOOK_REGISTERED, true), 0);
        assert_int_equal(catalog_status_for_stock(BOOK_UNLISTED, true), 0);
        assert_int_equal(catalog_status_for_stock(BOOK_UNLISTED, false), 0);
}

static void orders_count_once_and_cancellations_take_back(void **state)
{
        (void)state;
        enum catalog_sales_order next;
        assert_int_equal(catalog_sales_effect(SALES_ORDER_UNSEEN, true, &next), 1);
        assert_int_equal(next, SALES_ORDER_COUNTED);
        assert_int_equal(catalog_sales_effect(SALES_ORDER_COUNTED, true, &next), 0);
        assert_int_equal(catalog_sales_effect(SALES_ORDER_COUNTED, false, &next), -1);
        assert_int_equal(next, SALES_ORDER_CANCELLED);
        assert_int_equal(catalog_sales_effect(SALES_ORDER_CANCELLED, false, &next), 0);
        assert_int_equal(catalog_sales_effect(SALES_ORDER_CANCELLED, true, &next), 0);
        assert_int_equal(next, SALES_ORDER_CANCELLED);
        /* cancelled before its confirmation was seen: never counted */
        assert_int_equal(catalog_sales_effect(SALES_ORDER_UNSEEN, false, &next), 0);
        assert_int_equal(next, SALES_ORDER_CANCELLED);
}

static void revenue_adds_exactly_in_one_currency(void **state)
{
        (void)state;
        struct catalog_sales s = {0};
        struct catalog_money p = {"EUR", 12, 990000000}, usd = {"USD", 5, 0};
        assert_true(catalog_sales_add(&s, 1, 3, &p));
        assert_int_equal(s.units, 3);
        assert_string_equal(s.revenue.currency, "EUR");
        assert_int_equal(s.revenue.units, 38);
        assert_int_equal(s.revenue.nanos, 970000000);
        assert_false(catalog_sales_add(&s, 1, 2, &usd)); /* units count, revenue does not */
        assert_int_equal(s.units, 5);
        assert_int_equal(s.revenue.units, 38);
        assert_true(catalog_sales_add(&s, -1, 3, &p));
        assert_int_equal(s.revenue.units, 0);
        assert_int_equal(s.revenue.nanos, 0);
        assert_true(catalog_sales_add(&s, -1, 1, &p)); /* below zero: nanos follow the sign */
        assert_int_equal(s.revenue.units, -12);
        assert_int_equal(s.revenue.nanos, -990000000);
        struct catalog_money big = {"EUR", INT64_MAX / 4, 0};
        struct catalog_sales t = {0};
        assert_true(catalog_sales_add(&t, 1, 2, &big)); /* no overflow in between */
        assert_int_equal(t.revenue.units, INT64_MAX / 4 * 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(stock_moves_only_books_on_sale_or_sold_out),
                cmocka_unit_test(orders_count_once_and_cancellations_take_back),
                cmocka_unit_test(revenue_adds_exactly_in_one_currency),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
