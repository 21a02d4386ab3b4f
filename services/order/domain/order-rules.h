/* Order rules: the status machine, money arithmetic (integers only), items.
 * Pure; no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same numbers as bookstore.order.v1.OrderStatus. */
enum order_status {
        ORDER_PENDING = 1,
        ORDER_PAYMENT_AUTHORIZED = 2,
        ORDER_CONFIRMED = 3,
        ORDER_SHIPPED = 4,
        ORDER_DELIVERED = 5,
        ORDER_REJECTED = 6,
        ORDER_CANCEL_REQUESTED = 7,
        ORDER_CANCELLED = 8,
};

enum { ORDER_MAX_ITEMS = 50, ORDER_MAX_QUANTITY = 100 };
/* The largest total an order may have: every book below the catalog's
 * price limit (1e9 units), 50 lines of 100, stays far under it; payment
 * accepts amounts up to it. */
#define ORDER_MAX_TOTAL_UNITS 1000000000000LL

struct order_money {
        char currency[4];
        int64_t units;
        int32_t nanos; /* 0..999999999 for the non-negative amounts orders hold */
};

/* out = m * quantity; false on overflow. */
bool order_money_times(const struct order_money *m, int64_t quantity, struct order_money *out);
/* sum += m (same currency assumed); false on overflow. */
bool order_money_add(struct order_money *sum, const struct order_money *m);

/* OE_OK, or OE_TRANSITION with `explain` naming the allowed changes. Setting
 * the current status again is allowed (idempotent saga steps). */
int order_check_transition(enum order_status from, enum order_status to, char *explain,
                           size_t explain_len);
/* The order went through `to` to reach `from` (every path from PENDING to
 * `from` passes `to`): asking for `to` again is a late repeat of a step that
 * happened (a saga's confirm resumed after the seller shipped). */
bool order_status_passed(enum order_status from, enum order_status to);
const char *order_status_name(enum order_status s);
bool order_status_valid(int s);
