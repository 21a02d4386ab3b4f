/* Checkout rules: what a checkout request must hold, and when a repeated
 * request is the same checkout. Pure; no I/O. */
#pragma once

#include "checkout-errors.h"
#include "saga.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CHECKOUT_MAX_ITEMS = 50, CHECKOUT_MAX_QUANTITY = 100 };

/* Same numbers as bookstore.checkout.v1.SagaKind. */
enum checkout_kind { CHECKOUT_KIND_CHECKOUT = 1, CHECKOUT_KIND_CANCELLATION = 2 };

/* Same numbers as bookstore.order.v1.OrderStatus (the ones the sagas use). */
enum checkout_order_status {
        CHECKOUT_ORDER_PAYMENT_AUTHORIZED = 2,
        CHECKOUT_ORDER_CONFIRMED = 3,
        CHECKOUT_ORDER_REJECTED = 6,
        CHECKOUT_ORDER_CANCEL_REQUESTED = 7,
        CHECKOUT_ORDER_CANCELLED = 8,
};

struct checkout_item {
        char book_id[64];
        int32_t quantity;
};

struct checkout_address {
        char recipient[201], line1[201], line2[201], city[101], postal_code[21];
        char country_code[3];
};

struct checkout_money {
        char currency[4];
        int64_t units;
        int32_t nanos;
};

/* The saga definition a kind of saga follows. */
const struct saga_def *checkout_def_of(enum checkout_kind kind);

/* CE_OK or CE_ITEMS_INVALID. */
int checkout_check_items(const struct checkout_item *items, size_t n);
/* CE_OK or CE_ADDRESS_INVALID; upper-cases the country code. */
int checkout_check_address(struct checkout_address *a);
/* CE_CARD_NUMBER for card data (core/payment-token.h: the rule payment applies). */
int checkout_check_token(const char *token);
int checkout_check_key(const char *key);
/* The same books and quantities, in any order. */
bool checkout_same_items(const struct checkout_item *a, size_t na, const struct checkout_item *b,
                         size_t nb);
bool checkout_same_address(const struct checkout_address *a, const struct checkout_address *b);
/* An order in this status can be cancelled (or its cancellation resumed). */
bool checkout_order_cancellable(int order_status);
