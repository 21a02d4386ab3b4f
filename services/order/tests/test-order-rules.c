/* Order domain rules, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "order-errors.h"
#include "order-rules.h"

#include <stdint.h>
#include <string.h>

static void money_arithmetic_is_exact(void **state)
{
        struct order_money price = {"EUR", 12, 990000000}, line, total = {"EUR", 0, 0};
        assert_true(order_money_times(&price, 3, &line));
        assert_int_equal(line.units, 38);
        assert_int_equal(line.nanos, 970000000);
        assert_true(order_money_add(&total, &line));
        struct order_money cents = {"EUR", 0, 10000000}; /* 0.01, 100 times */
        for (int i = 0; i < 100; i++)
                assert_true(order_money_add(&total, &cents));
        assert_int_equal(total.units, 39);
        assert_int_equal(total.nanos, 970000000);
        struct order_money huge = {"EUR", INT64_MAX / 2, 0}, out;
        assert_false(order_money_times(&huge, 3, &out));
}

static void status_machine(void **state)
{
        char why[300];
        assert_int_equal(
                order_check_transition(ORDER_PENDING, ORDER_PAYMENT_AUTHORIZED, why, sizeof(why)),
                OE_OK);
        assert_int_equal(
                order_check_transition(ORDER_PAYMENT_AUTHORIZED, ORDER_CONFIRMED, why, sizeof(why)),
                OE_OK);
        assert_int_equal(order_check_transition(ORDER_CONFIRMED, ORDER_SHIPPED, why, sizeof(why)),
                         OE_OK);
        assert_int_equal(order_check_transition(ORDER_SHIPPED, ORDER_DELIVERED, why, sizeof(why)),
                         OE_OK);
        assert_int_equal(order_check_transition(ORDER_PENDING, ORDER_REJECTED, why, sizeof(why)),
                         OE_OK);
        assert_int_equal(
                order_check_transition(ORDER_CONFIRMED, ORDER_CANCEL_REQUESTED, why, sizeof(why)),
                OE_OK);
        assert_int_equal(
                order_check_transition(ORDER_CANCEL_REQUESTED, ORDER_CANCELLED, why, sizeof(why)),
                OE_OK);
        assert_int_equal(order_check_transition(ORDER_CONFIRMED, ORDER_CONFIRMED, why, sizeof(why)),
                         OE_OK);
        assert_int_equal(
                order_check_transition(ORDER_SHIPPED, ORDER_CANCEL_REQUESTED, why, sizeof(why)),
                OE_TRANSITION);
        assert_string_equal(
                why, "ORDER_STATUS_SHIPPED -> ORDER_STATUS_CANCEL_REQUESTED is not allowed; "
                     "from ORDER_STATUS_SHIPPED the allowed changes are: ORDER_STATUS_DELIVERED");
        assert_int_equal(order_check_transition(ORDER_REJECTED, ORDER_CONFIRMED, why, sizeof(why)),
                         OE_TRANSITION);
        assert_non_null(strstr(why, "it is final"));
        assert_int_equal(order_check_transition(ORDER_PENDING, 99, why, sizeof(why)),
                         OE_STATUS_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(money_arithmetic_is_exact),
                cmocka_unit_test(status_machine),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
