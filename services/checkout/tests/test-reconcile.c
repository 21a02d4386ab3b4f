/* The reconciler's rules (domain/reconcile.h): each kind of divergence from
 * the views that make it, none while a saga moves the order, none for the
 * states a saga leaves behind, and a repair only where undoing is safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "reconcile.h"

#include <string.h>

enum {
        PENDING = 1,
        AUTHORIZED_ORDER = 2,
        CONFIRMED = 3,
        SHIPPED = 4,
        DELIVERED = 5,
        REJECTED = 6,
        CANCEL_REQUESTED = 7,
        CANCELLED = 8
};
enum { AUTHORIZED = 1, CAPTURED = 2, VOIDED = 3, REFUNDED = 4, DECLINED = 5, AUTHORIZING = 6 };
enum { RESERVED = 1, RELEASED = 2, COMMITTED = 3, RESTOCKED = 4 };

static unsigned kinds(int order, int payment, int reservation)
{
        struct order_views v = {.order = order, .payment = payment, .reservation = reservation};
        return reconcile_classify(&v);
}

#define BIT(k) (1u << (k))

static void what_sagas_leave_behind_is_no_divergence(void **state)
{
        assert_int_equal(kinds(CONFIRMED, CAPTURED, COMMITTED), 0); /* completed */
        assert_int_equal(kinds(SHIPPED, CAPTURED, COMMITTED), 0);
        assert_int_equal(kinds(DELIVERED, CAPTURED, COMMITTED), 0);
        assert_int_equal(kinds(REJECTED, VOIDED, RELEASED), 0);            /* compensated */
        assert_int_equal(kinds(REJECTED, DECLINED, 0), 0);                 /* declined */
        assert_int_equal(kinds(REJECTED, 0, 0), 0);                        /* never paid */
        assert_int_equal(kinds(0, VOIDED, RELEASED), 0);                   /* fences only */
        assert_int_equal(kinds(CANCELLED, REFUNDED, RESTOCKED), 0);        /* cancelled */
        assert_int_equal(kinds(CANCEL_REQUESTED, CAPTURED, COMMITTED), 0); /* being cancelled */
}

static void each_kind_and_what_makes_it(void **state)
{
        assert_int_equal(kinds(REJECTED, CAPTURED, RELEASED), BIT(DIVERGENCE_PAID_NOT_CONFIRMED));
        assert_int_equal(kinds(AUTHORIZED_ORDER, CAPTURED, COMMITTED),
                         BIT(DIVERGENCE_PAID_NOT_CONFIRMED));
        assert_int_equal(kinds(CONFIRMED, AUTHORIZED, COMMITTED),
                         BIT(DIVERGENCE_CONFIRMED_NOT_PAID));
        assert_int_equal(kinds(SHIPPED, VOIDED, COMMITTED), BIT(DIVERGENCE_CONFIRMED_NOT_PAID));
        assert_int_equal(kinds(CONFIRMED, CAPTURED, RESERVED),
                         BIT(DIVERGENCE_CONFIRMED_NOT_RESERVED));
        assert_int_equal(kinds(DELIVERED, CAPTURED, 0), BIT(DIVERGENCE_CONFIRMED_NOT_RESERVED));
        assert_int_equal(kinds(REJECTED, VOIDED, RESERVED),
                         BIT(DIVERGENCE_RESERVED_FOR_CLOSED_ORDER));
        assert_int_equal(kinds(CANCELLED, REFUNDED, RESERVED),
                         BIT(DIVERGENCE_RESERVED_FOR_CLOSED_ORDER));
        assert_int_equal(kinds(0, 0, RESERVED), BIT(DIVERGENCE_RESERVED_FOR_CLOSED_ORDER));
        assert_int_equal(kinds(REJECTED, AUTHORIZED, RELEASED),
                         BIT(DIVERGENCE_AUTHORIZED_WITHOUT_SAGA));
        assert_int_equal(kinds(0, AUTHORIZING, 0), BIT(DIVERGENCE_AUTHORIZED_WITHOUT_SAGA));
        assert_int_equal(kinds(CONFIRMED, REFUNDED, COMMITTED),
                         BIT(DIVERGENCE_REFUNDED_STILL_CONFIRMED));
        /* a checkout's middle that no saga will finish (here: none runs) */
        assert_int_equal(kinds(PENDING, 0, 0), BIT(DIVERGENCE_ORDER_WITHOUT_SAGA));
        assert_int_equal(kinds(PENDING, VOIDED, RELEASED), BIT(DIVERGENCE_ORDER_WITHOUT_SAGA));
        /* money taken or stock sold: a person's, not a rejection */
        assert_int_equal(kinds(PENDING, 0, COMMITTED), 0);
        assert_int_equal(kinds(AUTHORIZED_ORDER, AUTHORIZED, RESERVED),
                         BIT(DIVERGENCE_ORDER_WITHOUT_SAGA) |
                                 BIT(DIVERGENCE_AUTHORIZED_WITHOUT_SAGA));
        /* several at once */
        assert_int_equal(kinds(CONFIRMED, AUTHORIZED, RESERVED),
                         BIT(DIVERGENCE_CONFIRMED_NOT_PAID) |
                                 BIT(DIVERGENCE_CONFIRMED_NOT_RESERVED));
        assert_int_equal(kinds(REJECTED, AUTHORIZED, RESERVED),
                         BIT(DIVERGENCE_RESERVED_FOR_CLOSED_ORDER) |
                                 BIT(DIVERGENCE_AUTHORIZED_WITHOUT_SAGA));
}

static void nothing_while_a_saga_moves_the_order(void **state)
{
        struct order_views v = {.order = PENDING,
                                .payment = AUTHORIZED,
                                .reservation = RESERVED,
                                .saga_running = true};
        assert_int_equal(reconcile_classify(&v), 0);
        v.saga_running = false;
        assert_int_not_equal(reconcile_classify(&v), 0);
}

static void only_undoing_a_hold_or_an_unfinished_order_is_repaired(void **state)
{
        for (int k = 1; k <= DIVERGENCE_KINDS; k++) {
                enum divergence_repair r = divergence_repair_of((enum divergence_kind)k);
                assert_non_null(divergence_name((enum divergence_kind)k));
                if (k == DIVERGENCE_RESERVED_FOR_CLOSED_ORDER)
                        assert_int_equal(r, DIVERGENCE_REPAIR_RELEASE_STOCK);
                else if (k == DIVERGENCE_AUTHORIZED_WITHOUT_SAGA)
                        assert_int_equal(r, DIVERGENCE_REPAIR_VOID_PAYMENT);
                else if (k == DIVERGENCE_ORDER_WITHOUT_SAGA)
                        assert_int_equal(r, DIVERGENCE_REPAIR_REJECT_ORDER);
                else
                        assert_int_equal(r, DIVERGENCE_REPAIR_NONE);
        }
        char text[200];
        struct order_views v = {.order = CONFIRMED, .payment = AUTHORIZING, .reservation = 0};
        reconcile_describe(&v, text, sizeof(text));
        assert_string_equal(text, "order CONFIRMED, payment AUTHORIZING, reservation none");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(what_sagas_leave_behind_is_no_divergence),
                cmocka_unit_test(each_kind_and_what_makes_it),
                cmocka_unit_test(nothing_while_a_saga_moves_the_order),
                cmocka_unit_test(only_undoing_a_hold_or_an_unfinished_order_is_repaired),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
