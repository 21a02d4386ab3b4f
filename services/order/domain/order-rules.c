/* Order rules; see order-rules.h. */
#include "core/errors.h"
#include "order-rules.h"

#include "order-errors.h"

#include <stdio.h>
#include <string.h>

#define ROW(code, kind, msg) [code - OE_FIRST] = {kind, msg},
ERROR_TABLE(order, OE_FIRST, ORDER_ERRORS(ROW))
#undef ROW

enum { NANOS = 1000000000 };

bool order_money_times(const struct order_money *m, int64_t quantity, struct order_money *out)
{
        if (quantity < 0 || m->units < 0 || m->nanos < 0)
                return false;
        int64_t units, nanos_total;
        if (__builtin_mul_overflow(m->units, quantity, &units) ||
            __builtin_mul_overflow((int64_t)m->nanos, quantity, &nanos_total) ||
            __builtin_add_overflow(units, nanos_total / NANOS, &units))
                return false;
        memcpy(out->currency, m->currency, sizeof(out->currency));
        out->units = units;
        out->nanos = (int32_t)(nanos_total % NANOS);
        return true;
}

bool order_money_add(struct order_money *sum, const struct order_money *m)
{
        int64_t units, nanos = (int64_t)sum->nanos + m->nanos;
        if (__builtin_add_overflow(sum->units, m->units, &units) ||
            __builtin_add_overflow(units, nanos / NANOS, &units))
                return false;
        sum->units = units;
        sum->nanos = (int32_t)(nanos % NANOS);
        return true;
}

static const char *const status_names[] = {
        [ORDER_PENDING] = "ORDER_STATUS_PENDING",
        [ORDER_PAYMENT_AUTHORIZED] = "ORDER_STATUS_PAYMENT_AUTHORIZED",
        [ORDER_CONFIRMED] = "ORDER_STATUS_CONFIRMED",
        [ORDER_SHIPPED] = "ORDER_STATUS_SHIPPED",
        [ORDER_DELIVERED] = "ORDER_STATUS_DELIVERED",
        [ORDER_REJECTED] = "ORDER_STATUS_REJECTED",
        [ORDER_CANCEL_REQUESTED] = "ORDER_STATUS_CANCEL_REQUESTED",
        [ORDER_CANCELLED] = "ORDER_STATUS_CANCELLED",
};

bool order_status_valid(int s)
{
        return s >= ORDER_PENDING && s <= ORDER_CANCELLED;
}

const char *order_status_name(enum order_status s)
{
        return order_status_valid(s) ? status_names[s] : "ORDER_STATUS_UNSPECIFIED";
}

/* PENDING -> PAYMENT_AUTHORIZED -> CONFIRMED -> SHIPPED -> DELIVERED;
 * PENDING/PAYMENT_AUTHORIZED -> REJECTED; CONFIRMED -> CANCEL_REQUESTED -> CANCELLED. */
/* The moves out of each status, as a switch with no default: -Wswitch
 * (an error here) rejects a status without its case, so a new status cannot
 * fall through to "anything goes". */
static unsigned allowed_moves(enum order_status from)
{
        switch (from) {
        case ORDER_PENDING:
                return 1u << ORDER_PAYMENT_AUTHORIZED | 1u << ORDER_REJECTED;
        case ORDER_PAYMENT_AUTHORIZED:
                return 1u << ORDER_CONFIRMED | 1u << ORDER_REJECTED;
        case ORDER_CONFIRMED:
                return 1u << ORDER_SHIPPED | 1u << ORDER_CANCEL_REQUESTED;
        case ORDER_SHIPPED:
                return 1u << ORDER_DELIVERED;
        case ORDER_CANCEL_REQUESTED:
                return 1u << ORDER_CANCELLED;
        case ORDER_DELIVERED:
        case ORDER_REJECTED:
        case ORDER_CANCELLED:
                return 0; /* final */
        }
        return 0;
}

/* Reachable from PENDING without going through `avoid`. */
static bool reachable_avoiding(enum order_status target, enum order_status avoid)
{
        unsigned seen = 0, frontier = avoid == ORDER_PENDING ? 0 : 1u << ORDER_PENDING;
        while (frontier) {
                seen |= frontier;
                unsigned next = 0;
                for (int s = ORDER_PENDING; s <= ORDER_CANCELLED; s++)
                        if (frontier & 1u << s)
                                next |= allowed_moves((enum order_status)s);
                frontier = next & ~seen & ~(1u << avoid);
        }
        return seen & 1u << target;
}

bool order_status_passed(enum order_status from, enum order_status to)
{
        return order_status_valid(from) && order_status_valid(to) && from != to &&
               !reachable_avoiding(from, to);
}

int order_check_transition(enum order_status from, enum order_status to, char *explain,
                           size_t explain_len)
{
        if (!order_status_valid(from) || !order_status_valid(to))
                return OE_STATUS_INVALID;
        if (from == to || (allowed_moves(from) & 1u << to))
                return OE_OK;
        int n = snprintf(explain, explain_len, "%s -> %s is not allowed; from %s ",
                         order_status_name(from), order_status_name(to), order_status_name(from));
        if (!allowed_moves(from)) {
                snprintf(explain + n, explain_len - (size_t)n,
                         "no change is allowed (it is final)");
                return OE_TRANSITION;
        }
        snprintf(explain + n, explain_len - (size_t)n, "the allowed changes are:");
        for (int s = ORDER_PENDING; s <= ORDER_CANCELLED; s++)
                if (allowed_moves(from) & 1u << s)
                        snprintf(explain + strlen(explain), explain_len - strlen(explain), " %s",
                                 order_status_name((enum order_status)s));
        return OE_TRANSITION;
}
