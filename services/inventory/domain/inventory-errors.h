/* The inventory's expected outcomes: code, kind (mapped to a gRPC status by
 * the adapter) and a message a person can act on. */
#pragma once

#include "core/errors.h"

#define INVENTORY_ERRORS(X)                                                                        \
        X(IE_BOOK_ID_INVALID, ERROR_INVALID,                                                       \
          "book_id must be 1 to 63 printable ASCII characters (no spaces)")                        \
        X(IE_ORDER_ID_INVALID, ERROR_INVALID,                                                      \
          "order_id must be 1 to 64 printable ASCII characters (no spaces)")                       \
        X(IE_QUANTITY_INVALID, ERROR_INVALID,                                                      \
          "on_hand must be 0 to 1000000000 and a delta must not be 0")                             \
        X(IE_STOCK_TOO_HIGH, ERROR_INVALID,                                                        \
          "on_hand would exceed 1000000000, the most a book may have in stock")                    \
        X(IE_ITEMS_INVALID, ERROR_INVALID,                                                         \
          "items must list 1 to 100 distinct books, each with a quantity of 1 to 1000")            \
        X(IE_BOOK_NOT_FOUND, ERROR_NOT_FOUND, "no such book in the catalog")                       \
        X(IE_NOT_OWNER, ERROR_DENIED, "only the book's seller or an admin may change its stock")   \
        X(IE_BELOW_RESERVED, ERROR_PRECONDITION,                                                   \
          "stock cannot go below what is reserved for orders (or below 0)")                        \
        X(IE_INSUFFICIENT, ERROR_PRECONDITION, "insufficient stock")                               \
        X(IE_ORDER_MISMATCH, ERROR_PRECONDITION,                                                   \
          "this order_id was already reserved with different items")                               \
        X(IE_WRONG_STATE, ERROR_PRECONDITION,                                                      \
          "the reservation is not in a state that allows this")                                    \
        X(IE_DEADLINE, ERROR_DEADLINE,                                                             \
          "the caller's deadline passed before stock was reserved; nothing was changed")           \
        X(IE_COMPENSATED, ERROR_PRECONDITION,                                                      \
          "this order's reservation was already released (compensated): nothing was reserved; "    \
          "a new checkout gets a new order")                                                       \
        X(IE_NOT_ALLOWED_TO_LIST, ERROR_DENIED, "only admins and services list reservations")

enum inventory_error {
        IE_OK = 0,
        IE_FIRST = 1000,
#define INVENTORY_ENUM(code, kind, msg) code,
        INVENTORY_ERRORS(INVENTORY_ENUM)
#undef INVENTORY_ENUM
};

ERROR_TABLE_DECLARE(inventory);
