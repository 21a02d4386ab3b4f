/* The order service's expected outcomes: code, kind (mapped to a gRPC status
 * by the adapter), message. */
#pragma once

#include "core/errors.h"

#define ORDER_ERRORS(X)                                                                            \
        X(OE_ITEMS_INVALID, ERROR_INVALID,                                                         \
          "items must list 1 to 50 distinct books, each with a quantity of 1 to 100")              \
        X(OE_TOTAL_TOO_LARGE, ERROR_INVALID,                                                       \
          "the order's total would be 1000000000000 units or more, the most one order may cost; "  \
          "split it")                                                                              \
        X(OE_ADDRESS_INVALID, ERROR_INVALID,                                                       \
          "give a shipping_address_id of yours or a shipping_address with recipient, line1, "      \
          "city, postal_code and a two-letter country_code")                                       \
        X(OE_STATUS_INVALID, ERROR_INVALID, "status must be one of the ORDER_STATUS_* values")     \
        X(OE_REASON_INVALID, ERROR_INVALID, "reason must be at most 255 bytes")                    \
        X(OE_CUSTOMER_INVALID, ERROR_INVALID, "services must name the customer_id they act for")   \
        X(OE_PAGE_TOKEN_INVALID, ERROR_INVALID, "page_token is not one this service issued")       \
        X(OE_FILTER_INVALID, ERROR_INVALID,                                                        \
          "order_ids: at most 100, each 1 to 63 printable ASCII characters (no spaces); "          \
          "updated_since not before 1970-01-01; book_id 1 to 63 such characters")                  \
        X(OE_BOOK_NOT_FOUND, ERROR_NOT_FOUND, "a book in the order is not in the catalog")         \
        X(OE_ADDRESS_NOT_FOUND, ERROR_NOT_FOUND, "no such address among yours")                    \
        X(OE_ORDER_NOT_FOUND, ERROR_NOT_FOUND, "no such order")                                    \
        X(OE_NOT_FOR_SALE, ERROR_PRECONDITION, "a book in the order is not on sale")               \
        X(OE_MIXED_CURRENCIES, ERROR_PRECONDITION,                                                 \
          "all books of one order must be priced in one currency")                                 \
        X(OE_TRANSITION, ERROR_PRECONDITION, "this status change is not allowed")                  \
        X(OE_IDEMPOTENCY_MISMATCH, ERROR_PRECONDITION,                                             \
          "this idempotency_key was already used for a different order")                           \
        X(OE_NOT_ALLOWED, ERROR_DENIED, "you may not change this order")                           \
        X(OE_DEADLINE, ERROR_DEADLINE,                                                             \
          "the caller's deadline passed before the order was stored; nothing was created (ask "    \
          "again with the same idempotency_key)")                                                  \
        X(OE_CANCEL_THROUGH_CHECKOUT, ERROR_PRECONDITION,                                          \
          "cancel an order with bookstore.checkout.v1.CheckoutService/CancelOrder: it refunds "    \
          "the payment and restocks the books (RequestCancel alone would leave the order "         \
          "waiting with nobody refunding it)")

enum order_error {
        OE_OK = 0,
        OE_FIRST = 1000,
#define ORDER_ENUM(code, kind, msg) code,
        ORDER_ERRORS(ORDER_ENUM)
#undef ORDER_ENUM
};

ERROR_TABLE_DECLARE(order);
