/* What the reconciler looks for: an order whose order, payment and
 * reservation disagree once no saga is moving it. Pure: the views come in
 * as statuses (the numbers of the participants' proto enums), the kinds of
 * divergence go out, with the repair each kind allows.
 *
 * The kinds, for an order with no unfinished saga:
 *  - paid_not_confirmed: the payment is CAPTURED, the order is not sold
 *    (CONFIRMED, SHIPPED, DELIVERED) nor being cancelled;
 *  - confirmed_not_paid: the order is sold, the payment neither CAPTURED
 *    nor REFUNDED (none, held, voided, declined);
 *  - confirmed_not_reserved: the order is sold, its reservation not
 *    COMMITTED;
 *  - reserved_for_closed_order: stock is held (RESERVED) for an order that
 *    is REJECTED, CANCELLED or does not exist;
 *  - authorized_without_saga: a hold on the customer's card (AUTHORIZED or
 *    AUTHORIZING) for an order that is not sold;
 *  - refunded_still_confirmed: the payment is REFUNDED, the order still
 *    sold;
 *  - order_without_saga: the order is PENDING or PAYMENT_AUTHORIZED (a
 *    checkout's middle), nothing was captured or sold for it, and no saga
 *    is moving it (one was forced to end while its first call was out, or
 *    it was made without a checkout): nothing will finish it.
 * Repairs, only for kinds where undoing cannot take anything from anyone:
 * a held reservation of a closed order is released (nothing will commit it),
 * a hold for an order that is not sold is voided (nothing will capture it;
 * payment settles an AUTHORIZING one first), an order no saga will finish
 * is rejected after its stock is released (its hold is voided as
 * authorized_without_saga). The rest need a person: the money was taken or
 * a sale was recorded. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum divergence_kind {
        DIVERGENCE_PAID_NOT_CONFIRMED = 1,
        DIVERGENCE_CONFIRMED_NOT_PAID = 2,
        DIVERGENCE_CONFIRMED_NOT_RESERVED = 3,
        DIVERGENCE_RESERVED_FOR_CLOSED_ORDER = 4,
        DIVERGENCE_AUTHORIZED_WITHOUT_SAGA = 5,
        DIVERGENCE_REFUNDED_STILL_CONFIRMED = 6,
        DIVERGENCE_ORDER_WITHOUT_SAGA = 7,
};
enum { DIVERGENCE_KINDS = 7 };

enum divergence_repair {
        DIVERGENCE_REPAIR_NONE,
        DIVERGENCE_REPAIR_VOID_PAYMENT,
        DIVERGENCE_REPAIR_RELEASE_STOCK,
        DIVERGENCE_REPAIR_REJECT_ORDER, /* release its stock, then reject it */
};

/* Same numbers as the participants' enums; 0: there is none. */
struct order_views {
        int order;       /* bookstore.order.v1.OrderStatus */
        int payment;     /* bookstore.payment.v1.PaymentStatus */
        int reservation; /* bookstore.inventory.v1.ReservationStatus */
        bool saga_running;
};

/* "paid_not_confirmed", ...; NULL for others. */
const char *divergence_name(enum divergence_kind kind);
enum divergence_repair divergence_repair_of(enum divergence_kind kind);
/* "void_payment", "release_stock", "reject_order", "" */
const char *divergence_repair_name(enum divergence_repair repair);
/* The divergences of one order: bit (1 << kind) for each. */
unsigned reconcile_classify(const struct order_views *v);
/* One line for a person: what each side says, e.g. "order CONFIRMED,
 * payment AUTHORIZED, reservation COMMITTED". */
void reconcile_describe(const struct order_views *v, char *out, size_t len);
