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

/* Every (from, to) pair, against a matrix written here independently of
 * order-rules.c: a status missing from the rules' table cannot hide. A row
 * lists the moves allowed from that status; staying put is always allowed
 * (repeats of a saga step). Final statuses allow nothing else. */
static void every_status_pair(void **state)
{
        enum {
                P = ORDER_PENDING,
                A = ORDER_PAYMENT_AUTHORIZED,
                C = ORDER_CONFIRMED,
                S = ORDER_SHIPPED,
                D = ORDER_DELIVERED,
                R = ORDER_REJECTED,
                Q = ORDER_CANCEL_REQUESTED,
                X = ORDER_CANCELLED
        };
        static const unsigned allowed[] = {
                [P] = 1u << A | 1u << R,
                [A] = 1u << C | 1u << R,
                [C] = 1u << S | 1u << Q,
                [S] = 1u << D,
                [D] = 0,
                [R] = 0,
                [Q] = 1u << X,
                [X] = 0,
        };
        char why[256];
        for (int from = P; from <= X; from++)
                for (int to = P; to <= X; to++) {
                        bool ok = from == to || (allowed[from] & 1u << to);
                        int r = order_check_transition(from, to, why, sizeof(why));
                        if (r != (ok ? OE_OK : OE_TRANSITION))
                                fail_msg("%s -> %s: got %d", order_status_name(from),
                                         order_status_name(to), r);
                }
        for (int s = P; s <= X; s++) {
                assert_int_equal(order_check_transition(0, s, why, sizeof(why)), OE_STATUS_INVALID);
                assert_int_equal(order_check_transition(s, X + 1, why, sizeof(why)),
                                 OE_STATUS_INVALID);
        }
        assert_int_equal(order_check_transition(ORDER_CANCELLED, ORDER_DELIVERED, why, sizeof(why)),
                         OE_TRANSITION);
        assert_non_null(strstr(why, "final"));
}

/* Passed: every way to `from` goes through `to` -- the whole table. */
static void a_status_is_passed_only_when_every_way_leads_through_it(void **state)
{
        enum {
                P = ORDER_PENDING,
                A = ORDER_PAYMENT_AUTHORIZED,
                C = ORDER_CONFIRMED,
                S = ORDER_SHIPPED,
                D = ORDER_DELIVERED,
                R = ORDER_REJECTED,
                Q = ORDER_CANCEL_REQUESTED,
                X = ORDER_CANCELLED
        };
        const unsigned passed[X + 1] = {
                [P] = 0,
                [A] = 1u << P,
                [C] = 1u << P | 1u << A,
                [S] = 1u << P | 1u << A | 1u << C,
                [D] = 1u << P | 1u << A | 1u << C | 1u << S,
                [R] = 1u << P, /* straight from PENDING, or after an authorization */
                [Q] = 1u << P | 1u << A | 1u << C,
                [X] = 1u << P | 1u << A | 1u << C | 1u << Q,
        };
        for (int from = P; from <= X; from++)
                for (int to = P; to <= X; to++)
                        if (order_status_passed(from, to) != !!(passed[from] & 1u << to))
                                fail_msg("passed(%s, %s): got %d", order_status_name(from),
                                         order_status_name(to), order_status_passed(from, to));
        assert_false(order_status_passed(0, ORDER_PENDING));
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
                cmocka_unit_test(every_status_pair),
                cmocka_unit_test(a_status_is_passed_only_when_every_way_leads_through_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
