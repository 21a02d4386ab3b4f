/* The payment service's expected outcomes: code, kind (mapped to a gRPC
 * status by the adapter), message. A decline is not an error: it is a result
 * (PAYMENT_STATUS_DECLINED), so the saga can tell business from transport. */
#pragma once

#include "core/errors.h"

#define PAYMENT_ERRORS(X)                                                                          \
        X(PE_ORDER_ID_INVALID, ERROR_INVALID,                                                      \
          "order_id must be 1 to 64 printable ASCII characters (no spaces)")                       \
        X(PE_CUSTOMER_ID_INVALID, ERROR_INVALID,                                                   \
          "customer_id must be 1 to 63 printable ASCII characters (no spaces)")                    \
        X(PE_AMOUNT_INVALID, ERROR_INVALID,                                                        \
          "amount must be greater than 0 and less than 1000000000000 units, with a 3-letter "      \
          "currency_code and nanos in 0..999999999")                                               \
        X(PE_TOKEN_INVALID, ERROR_INVALID,                                                         \
          "payment_method_token must be a provider token such as tok_ok (3 to 64 letters, "        \
          "digits or _)")                                                                          \
        X(PE_CARD_NUMBER, ERROR_INVALID,                                                           \
          "send a payment token, never a card number: card data is not accepted")                  \
        X(PE_NOT_FOUND, ERROR_NOT_FOUND, "no payment for this order")                              \
        X(PE_AMOUNT_MISMATCH, ERROR_PRECONDITION,                                                  \
          "this order already has a payment for a different amount or customer")                   \
        X(PE_WRONG_STATE, ERROR_PRECONDITION, "the payment is not in a state that allows this")    \
        X(PE_PROVIDER_UNAVAILABLE, ERROR_UNAVAILABLE,                                              \
          "the payment provider is unavailable; retry with the same order_id")                     \
        X(PE_COMPENSATED, ERROR_PRECONDITION,                                                      \
          "this order's payment was already voided or refunded (compensated): nothing was "        \
          "authorized; a new checkout gets a new order")                                           \
        X(PE_DEADLINE, ERROR_DEADLINE,                                                             \
          "the caller's deadline passed before the provider was asked; retry with the same "       \
          "order_id")                                                                              \
        X(PE_NOT_ALLOWED, ERROR_DENIED, "only admins and services list payments")

enum payment_error {
        PE_OK = 0,
        PE_FIRST = 1000,
#define PAYMENT_ENUM(code, kind, msg) code,
        PAYMENT_ERRORS(PAYMENT_ENUM)
#undef PAYMENT_ENUM
};

ERROR_TABLE_DECLARE(payment);
