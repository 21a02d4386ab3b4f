/* Payment rules; see payment-rules.h. */
#include "core/errors.h"
#include "core/ids.h"
#include "payment-rules.h"

#include "core/payment-token.h"

#include "payment-errors.h"

#include <ctype.h>
#include <string.h>

#define ROW(code, kind, msg) [code - PE_FIRST] = {kind, msg},
ERROR_TABLE(payment, PE_FIRST, PAYMENT_ERRORS(ROW))
#undef ROW

int payment_check_order_id(const char *order_id)
{
        return id_valid(order_id, 64) ? PE_OK : PE_ORDER_ID_INVALID;
}

int payment_check_amount(const struct payment_money *m)
{
        if (strlen(m->currency) != 3 || !isupper((unsigned char)m->currency[0]) ||
            !isupper((unsigned char)m->currency[1]) || !isupper((unsigned char)m->currency[2]))
                return PE_AMOUNT_INVALID;
        if (m->units < 0 || m->nanos < 0 || m->nanos > 999999999 ||
            (m->units == 0 && m->nanos == 0) || m->units >= PAYMENT_MAX_UNITS)
                return PE_AMOUNT_INVALID;
        return PE_OK;
}

int payment_check_token(const char *token)
{
        switch (payment_token_check(token)) {
        case PAYMENT_TOKEN_OK:
                return PE_OK;
        case PAYMENT_TOKEN_CARD_NUMBER:
                return PE_CARD_NUMBER;
        default:
                return PE_TOKEN_INVALID;
        }
}

bool payment_same_money(const struct payment_money *a, const struct payment_money *b)
{
        return !strcmp(a->currency, b->currency) && a->units == b->units && a->nanos == b->nanos;
}

/* One row per status, as a switch with no default: -Wswitch (an error here)
 * rejects a status without its row. Undoing (void, refund) what is not there
 * or already undone succeeds; a captured payment is refunded, not voided; an
 * AUTHORIZING one is settled with the provider before anything is decided. */
enum payment_decision payment_decide(enum payment_status current, enum payment_action action)
{
        switch (current) {
        case PAYMENT_NONE:
        case PAYMENT_VOIDED:
        case PAYMENT_REFUNDED:
        case PAYMENT_DECLINED:
                return action == PAY_CAPTURE ? PAY_REFUSE : PAY_NOOP;
        case PAYMENT_AUTHORIZED:
                return action == PAY_REFUND ? PAY_REFUSE : PAY_APPLY;
        case PAYMENT_CAPTURED:
                return action == PAY_CAPTURE  ? PAY_NOOP
                       : action == PAY_REFUND ? PAY_APPLY
                                              : PAY_REFUSE;
        case PAYMENT_AUTHORIZING:
                return PAY_REFUSE;
        }
        return PAY_REFUSE;
}

enum payment_status payment_after(enum payment_action action)
{
        return action == PAY_CAPTURE ? PAYMENT_CAPTURED
               : action == PAY_VOID  ? PAYMENT_VOIDED
                                     : PAYMENT_REFUNDED;
}

bool payment_compensated(enum payment_status status)
{
        return status == PAYMENT_VOIDED || status == PAYMENT_REFUNDED;
}
