/* The reconciler's rules; see reconcile.h. */
#include "reconcile.h"

#include <stdio.h>

enum { /* bookstore.order.v1.OrderStatus */
       O_PENDING = 1,
       O_PAYMENT_AUTHORIZED = 2,
       O_CONFIRMED = 3,
       O_SHIPPED = 4,
       O_DELIVERED = 5,
       O_REJECTED = 6,
       O_CANCEL_REQUESTED = 7,
       O_CANCELLED = 8,
};
enum { /* bookstore.payment.v1.PaymentStatus */
       P_AUTHORIZED = 1,
       P_CAPTURED = 2,
       P_REFUNDED = 4,
       P_AUTHORIZING = 6,
};
enum { /* bookstore.inventory.v1.ReservationStatus */
       R_RESERVED = 1,
       R_COMMITTED = 3,
       R_RESTOCKED = 4,
};

const char *divergence_name(enum divergence_kind kind)
{
        switch (kind) {
        case DIVERGENCE_PAID_NOT_CONFIRMED:
                return "paid_not_confirmed";
        case DIVERGENCE_CONFIRMED_NOT_PAID:
                return "confirmed_not_paid";
        case DIVERGENCE_CONFIRMED_NOT_RESERVED:
                return "confirmed_not_reserved";
        case DIVERGENCE_RESERVED_FOR_CLOSED_ORDER:
                return "reserved_for_closed_order";
        case DIVERGENCE_AUTHORIZED_WITHOUT_SAGA:
                return "authorized_without_saga";
        case DIVERGENCE_REFUNDED_STILL_CONFIRMED:
                return "refunded_still_confirmed";
        case DIVERGENCE_ORDER_WITHOUT_SAGA:
                return "order_without_saga";
        }
        return NULL;
}

enum divergence_repair divergence_repair_of(enum divergence_kind kind)
{
        switch (kind) {
        case DIVERGENCE_RESERVED_FOR_CLOSED_ORDER:
                return DIVERGENCE_REPAIR_RELEASE_STOCK;
        case DIVERGENCE_AUTHORIZED_WITHOUT_SAGA:
                return DIVERGENCE_REPAIR_VOID_PAYMENT;
        case DIVERGENCE_ORDER_WITHOUT_SAGA:
                return DIVERGENCE_REPAIR_REJECT_ORDER;
        case DIVERGENCE_PAID_NOT_CONFIRMED:
        case DIVERGENCE_CONFIRMED_NOT_PAID:
        case DIVERGENCE_CONFIRMED_NOT_RESERVED:
        case DIVERGENCE_REFUNDED_STILL_CONFIRMED:
                break;
        }
        return DIVERGENCE_REPAIR_NONE;
}

const char *divergence_repair_name(enum divergence_repair repair)
{
        switch (repair) {
        case DIVERGENCE_REPAIR_VOID_PAYMENT:
                return "void_payment";
        case DIVERGENCE_REPAIR_RELEASE_STOCK:
                return "release_stock";
        case DIVERGENCE_REPAIR_REJECT_ORDER:
                return "reject_order";
        case DIVERGENCE_REPAIR_NONE:
                break;
        }
        return "";
}

static bool sold(int order)
{
        return order == O_CONFIRMED || order == O_SHIPPED || order == O_DELIVERED;
}

unsigned reconcile_classify(const struct order_views *v)
{
        if (v->saga_running)
                return 0; /* in flux: a saga is moving it */
        unsigned kinds = 0;
        bool held = v->payment == P_AUTHORIZED || v->payment == P_AUTHORIZING;
        bool closed = !v->order || v->order == O_REJECTED || v->order == O_CANCELLED;
        if (v->payment == P_CAPTURED && !sold(v->order) && v->order != O_CANCEL_REQUESTED)
                kinds |= 1u << DIVERGENCE_PAID_NOT_CONFIRMED;
        if (sold(v->order) && v->payment != P_CAPTURED && v->payment != P_REFUNDED)
                kinds |= 1u << DIVERGENCE_CONFIRMED_NOT_PAID;
        if (sold(v->order) && v->reservation != R_COMMITTED)
                kinds |= 1u << DIVERGENCE_CONFIRMED_NOT_RESERVED;
        if (v->reservation == R_RESERVED && closed)
                kinds |= 1u << DIVERGENCE_RESERVED_FOR_CLOSED_ORDER;
        if (held && !sold(v->order))
                kinds |= 1u << DIVERGENCE_AUTHORIZED_WITHOUT_SAGA;
        if (v->payment == P_REFUNDED && sold(v->order))
                kinds |= 1u << DIVERGENCE_REFUNDED_STILL_CONFIRMED;
        /* rejecting it takes nothing from anyone only while nothing was taken or sold */
        bool taken = v->payment == P_CAPTURED || v->payment == P_REFUNDED ||
                     v->reservation == R_COMMITTED || v->reservation == R_RESTOCKED;
        if ((v->order == O_PENDING || v->order == O_PAYMENT_AUTHORIZED) && !taken)
                kinds |= 1u << DIVERGENCE_ORDER_WITHOUT_SAGA;
        return kinds;
}

static const char *name_of(const char *const *names, size_t n, int status)
{
        return status > 0 && (size_t)status < n && names[status] ? names[status] : "none";
}

void reconcile_describe(const struct order_views *v, char *out, size_t len)
{
        static const char *const orders[] = {NULL,        "PENDING",          "PAYMENT_AUTHORIZED",
                                             "CONFIRMED", "SHIPPED",          "DELIVERED",
                                             "REJECTED",  "CANCEL_REQUESTED", "CANCELLED"};
        static const char *const payments[] = {NULL,       "AUTHORIZED", "CAPTURED",   "VOIDED",
                                               "REFUNDED", "DECLINED",   "AUTHORIZING"};
        static const char *const reservations[] = {NULL, "RESERVED", "RELEASED", "COMMITTED",
                                                   "RESTOCKED"};
        snprintf(out, len, "order %s, payment %s, reservation %s",
                 name_of(orders, sizeof(orders) / sizeof(orders[0]), v->order),
                 name_of(payments, sizeof(payments) / sizeof(payments[0]), v->payment),
                 name_of(reservations, sizeof(reservations) / sizeof(reservations[0]),
                         v->reservation));
}
