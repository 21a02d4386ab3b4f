/* The checkout coordinator's expected outcomes: code, kind (mapped to a gRPC
 * status by the adapter), message. */
#pragma once

#include "core/errors.h"

#define CHECKOUT_ERRORS(X)                                                                         \
        X(CE_ITEMS_INVALID, ERROR_INVALID,                                                         \
          "items must list 1 to 50 distinct books, each with a quantity of 1 to 100")              \
        X(CE_BOOK_ID_INVALID, ERROR_INVALID,                                                       \
          "each book_id must be 1 to 63 printable ASCII characters (no spaces)")                   \
        X(CE_ADDRESS_INVALID, ERROR_INVALID,                                                       \
          "give a shipping_address_id of yours or a shipping_address with recipient, line1, "      \
          "city, postal_code and a two-letter country_code")                                       \
        X(CE_TOKEN_INVALID, ERROR_INVALID,                                                         \
          "payment_method_token is required: a token from the payment provider (e.g. tok_ok), "    \
          "of 3 to 64 letters, digits or _")                                                       \
        X(CE_CARD_NUMBER, ERROR_INVALID,                                                           \
          "send a payment token, never a card number: card data is not accepted")                  \
        X(CE_KEY_INVALID, ERROR_INVALID,                                                           \
          "idempotency_key is required (1 to 64 characters): the client's key for this checkout, " \
          "reused when the call is retried")                                                       \
        X(CE_ID_INVALID, ERROR_INVALID, "give exactly one of saga_id and order_id")                \
        X(CE_ORDER_ID_INVALID, ERROR_INVALID, "order_id is required")                              \
        X(CE_REASON_INVALID, ERROR_INVALID, "reason must be at most 200 characters")               \
        X(CE_FILTER_INVALID, ERROR_INVALID,                                                        \
          "status and kind must be one of their enum values, order_id an id")                      \
        X(CE_NO_RECONCILER, ERROR_PRECONDITION, "this coordinator was built without a reconciler") \
        X(CE_PAGE_TOKEN_INVALID, ERROR_INVALID, "page_token is not one this service issued")       \
        X(CE_SAGA_NOT_FOUND, ERROR_NOT_FOUND, "no such saga")                                      \
        X(CE_ORDER_NOT_FOUND, ERROR_NOT_FOUND, "no such order")                                    \
        X(CE_ADDRESS_NOT_FOUND, ERROR_NOT_FOUND, "no such address among yours")                    \
        X(CE_KEY_REUSED, ERROR_PRECONDITION,                                                       \
          "this idempotency_key was already used for a different checkout; use a new key")         \
        X(CE_NOT_CANCELLABLE, ERROR_PRECONDITION,                                                  \
          "only a CONFIRMED order (not yet shipped) can be cancelled")                             \
        X(CE_WATCH_INTERRUPTED, ERROR_UNAVAILABLE,                                                 \
          "the saga is not over, but it can no longer be followed here (the coordinator is "       \
          "stopping or its store cannot be read); watch it again")                                 \
        X(CE_CHECKOUT_UNFINISHED, ERROR_PRECONDITION,                                              \
          "the order's checkout is still finishing; try again in a few seconds")                   \
        X(CE_NOT_ALLOWED, ERROR_DENIED, "only the order's customer or an admin may do this")       \
        X(CE_NOT_SELLER, ERROR_DENIED, "only a seller of a book in the order may refuse it")       \
        X(CE_NOT_REFUSABLE, ERROR_PRECONDITION,                                                    \
          "only a CONFIRMED order (not yet shipped) can be refused; a shipped one cannot")         \
        X(CE_REFUSAL_REASON_INVALID, ERROR_INVALID,                                                \
          "reason is required: 1 to 160 bytes of UTF-8 on one line; the customer sees it")         \
        X(CE_OP_REASON_INVALID, ERROR_INVALID,                                                     \
          "reason is required: 1 to 200 bytes of UTF-8 on one line saying why (kept in the audit " \
          "trail)")                                                                                \
        X(CE_OP_OUTCOME_INVALID, ERROR_INVALID,                                                    \
          "outcome must be SAGA_STATUS_COMPLETED or SAGA_STATUS_COMPENSATED")                      \
        X(CE_OP_FILTER_INVALID, ERROR_INVALID,                                                     \
          "customer_id, order_id and step must be at most 63 printable ASCII characters, "         \
          "min_age_seconds not negative")                                                          \
        X(CE_OP_SAGA_ENDED, ERROR_PRECONDITION,                                                    \
          "the saga has ended: RetryNow and ForceCompensate act on RUNNING or COMPENSATING "       \
          "sagas, Resume and MarkResolved on FAILED or stuck ones")                                \
        X(CE_OP_NOT_STUCK, ERROR_PRECONDITION,                                                     \
          "Resume and MarkResolved are for FAILED or stuck sagas, and this one is moving; "        \
          "RetryNow skips the wait before its next attempt")                                       \
        X(CE_OP_PAST_PIVOT, ERROR_PRECONDITION,                                                    \
          "the payment was captured (the saga's pivot): it only moves forward now and cannot be "  \
          "compensated; let it complete (Resume or RetryNow once the cause is fixed), then "       \
          "CancelOrder refunds and restocks")                                                      \
        X(CE_OP_FORWARD_ONLY, ERROR_PRECONDITION,                                                  \
          "a cancellation cannot be compensated (nothing in it can be undone): Resume it once "    \
          "the cause is fixed, or MarkResolved it as COMPLETED after finishing it by hand")        \
        X(CE_OP_COMPENSATING, ERROR_PRECONDITION, "the saga is compensating already")              \
        X(CE_OP_RESOLVE_PAST_PIVOT, ERROR_PRECONDITION,                                            \
          "past the pivot the payment was captured: the saga can only be resolved as COMPLETED")   \
        X(CE_OP_RESOLVE_BEFORE_PIVOT, ERROR_PRECONDITION,                                          \
          "before the pivot nothing was sold: the saga can only be resolved as COMPENSATED "       \
          "(once its steps were undone by hand)")

enum checkout_error {
        CE_OK = 0,
        CE_FIRST = 1000,
#define CHECKOUT_ENUM(code, kind, msg) code,
        CHECKOUT_ERRORS(CHECKOUT_ENUM)
#undef CHECKOUT_ENUM
};

ERROR_TABLE_DECLARE(checkout);
