/* Payment rules: amounts, tokens (never card data) and the state machine
 * AUTHORIZING -> AUTHORIZED -> CAPTURED -> REFUNDED, AUTHORIZED -> VOIDED,
 * AUTHORIZING -> DECLINED. AUTHORIZING is the intent, written before the
 * provider is asked; a capture, void or refund is claimed (`pending`) before
 * the provider is asked, and finished by whoever comes next. Pure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Same numbers as bookstore.payment.v1.PaymentStatus; NONE: no payment yet. */
enum payment_status {
        PAYMENT_NONE = 0,
        PAYMENT_AUTHORIZED = 1,
        PAYMENT_CAPTURED = 2,
        PAYMENT_VOIDED = 3,
        PAYMENT_REFUNDED = 4,
        PAYMENT_DECLINED = 5,
        PAYMENT_AUTHORIZING = 6,
};

/* The largest amount: above any order's total (order's ORDER_MAX_TOTAL_UNITS). */
#define PAYMENT_MAX_UNITS 1000000000000LL

/* Also the `pending` column: 0 is no action claimed, action + 1 one that is. */
enum payment_action { PAY_CAPTURE, PAY_VOID, PAY_REFUND };

enum payment_decision { PAY_APPLY, PAY_NOOP, PAY_REFUSE };

struct payment_money {
        char currency[4];
        int64_t units;
        int32_t nanos;
};

int payment_check_order_id(const char *order_id);
int payment_check_amount(const struct payment_money *m);
/* PE_CARD_NUMBER for anything holding a run of 12+ digits (a PAN), else
 * PE_TOKEN_INVALID unless 3..64 of [A-Za-z0-9_]. */
int payment_check_token(const char *token);
bool payment_same_money(const struct payment_money *a, const struct payment_money *b);

/* Compensations (void, refund) of what was undone already succeed as no-ops;
 * of what never existed, the app writes a fence (a VOIDED tombstone). An
 * AUTHORIZING payment or a claimed action is settled before this is asked. */
enum payment_decision payment_decide(enum payment_status current, enum payment_action action);
enum payment_status payment_after(enum payment_action action);
/* An authorization arriving for a payment in this status is refused: it was
 * voided or refunded (or fenced before it came). */
bool payment_compensated(enum payment_status status);
