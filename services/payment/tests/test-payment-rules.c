/* Payment domain rules, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "payment-errors.h"
#include "payment-rules.h"

static void card_numbers_are_refused(void **state)
{
        assert_int_equal(payment_check_token("tok_ok"), PE_OK);
        assert_int_equal(payment_check_token("tok_flaky_2"), PE_OK);
        assert_int_equal(payment_check_token("4111111111111111"), PE_CARD_NUMBER);
        assert_int_equal(payment_check_token("4111 1111 1111 1111"), PE_CARD_NUMBER);
        assert_int_equal(payment_check_token("card-4111-1111-1111-1111"), PE_CARD_NUMBER);
        assert_int_equal(payment_check_token("tok ok"), PE_TOKEN_INVALID);
        assert_int_equal(payment_check_token("x"), PE_TOKEN_INVALID);
        assert_int_equal(payment_check_token("order12345678"), PE_OK); /* 8 digits: not a card */
}

static void amounts(void **state)
{
        struct payment_money ok = {"EUR", 12, 500000000}, zero = {"EUR", 0, 0}, bad = {"eur", 1, 0};
        assert_int_equal(payment_check_amount(&ok), PE_OK);
        assert_int_equal(payment_check_amount(&zero), PE_AMOUNT_INVALID);
        assert_int_equal(payment_check_amount(&bad), PE_AMOUNT_INVALID);
        struct payment_money same = ok;
        assert_true(payment_same_money(&ok, &same));
        same.nanos = 1;
        assert_false(payment_same_money(&ok, &same));
        struct payment_money most = {"EUR", PAYMENT_MAX_UNITS - 1, 0};
        struct payment_money beyond = {"EUR", PAYMENT_MAX_UNITS, 0};
        assert_int_equal(payment_check_amount(&most), PE_OK);
        assert_int_equal(payment_check_amount(&beyond), PE_AMOUNT_INVALID);
}

static void state_machine(void **state)
{
        assert_int_equal(payment_decide(PAYMENT_AUTHORIZED, PAY_CAPTURE), PAY_APPLY);
        assert_int_equal(payment_decide(PAYMENT_CAPTURED, PAY_CAPTURE), PAY_NOOP);
        assert_int_equal(payment_decide(PAYMENT_VOIDED, PAY_CAPTURE), PAY_REFUSE);
        assert_int_equal(payment_decide(PAYMENT_NONE, PAY_CAPTURE), PAY_REFUSE);
        assert_int_equal(payment_decide(PAYMENT_AUTHORIZED, PAY_VOID), PAY_APPLY);
        assert_int_equal(payment_decide(PAYMENT_NONE, PAY_VOID), PAY_NOOP);
        assert_int_equal(payment_decide(PAYMENT_DECLINED, PAY_VOID), PAY_NOOP);
        assert_int_equal(payment_decide(PAYMENT_CAPTURED, PAY_VOID), PAY_REFUSE);
        /* a saga undoing make_payment after capture_payment was refunded */
        assert_int_equal(payment_decide(PAYMENT_REFUNDED, PAY_VOID), PAY_NOOP);
        assert_int_equal(payment_decide(PAYMENT_CAPTURED, PAY_REFUND), PAY_APPLY);
        assert_int_equal(payment_decide(PAYMENT_NONE, PAY_REFUND), PAY_NOOP);
        assert_int_equal(payment_decide(PAYMENT_REFUNDED, PAY_REFUND), PAY_NOOP);
        assert_int_equal(payment_decide(PAYMENT_AUTHORIZED, PAY_REFUND), PAY_REFUSE);
        assert_int_equal(payment_after(PAY_VOID), PAYMENT_VOIDED);
}

/* Every (status, action) pair against a grid written here: A apply, N no-op
 * (succeed, change nothing), R refuse; columns capture, void, refund. */
static void every_status_and_action(void **state)
{
        static const char *const grid[] = {
                [PAYMENT_NONE] = "RNN",        [PAYMENT_AUTHORIZED] = "AAR",
                [PAYMENT_CAPTURED] = "NRA",    [PAYMENT_VOIDED] = "RNN",
                [PAYMENT_REFUNDED] = "RNN",    [PAYMENT_DECLINED] = "RNN",
                [PAYMENT_AUTHORIZING] = "RRR",
        };
        static const char letter[] = {[PAY_APPLY] = 'A', [PAY_NOOP] = 'N', [PAY_REFUSE] = 'R'};
        for (int s = PAYMENT_NONE; s <= PAYMENT_AUTHORIZING; s++)
                for (int a = PAY_CAPTURE; a <= PAY_REFUND; a++) {
                        char got = letter[payment_decide(s, a)];
                        if (got != grid[s][a])
                                fail_msg("status %d, action %d: %c, want %c", s, a, got,
                                         grid[s][a]);
                }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(card_numbers_are_refused),
                cmocka_unit_test(amounts),
                cmocka_unit_test(state_machine),
                cmocka_unit_test(every_status_and_action),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
