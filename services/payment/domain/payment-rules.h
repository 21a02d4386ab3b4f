/* Payment rules: amounts, tokens (never card data) and the state machine
 * AUTHORIZED -> CAPTURED -> REFUNDED, AUTHORIZED -> VOIDED, DECLINED. Pure. */
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
};

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

/* Compensations (void, refund) of what never happened succeed as no-ops. */
enum payment_decision payment_decide(enum payment_status current, enum payment_action action);
enum payment_status payment_after(enum payment_action action);
