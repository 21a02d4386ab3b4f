/* The catalog's expected outcomes: code, kind (mapped to a gRPC status by
 * the adapter) and a message a person can act on. */
#pragma once

#include "core/errors.h"

#define CATALOG_ERRORS(X)                                                                          \
        X(CE_TITLE_INVALID, ERROR_INVALID, "title must be 1 to 300 characters")                    \
        X(CE_AUTHORS_INVALID, ERROR_INVALID,                                                       \
          "authors must list 1 to 20 names of 1 to 200 characters")                                \
        X(CE_ISBN_INVALID, ERROR_INVALID,                                                          \
          "isbn13 must be 13 digits with a valid check digit (hyphens and spaces allowed)")        \
        X(CE_DESCRIPTION_INVALID, ERROR_INVALID, "description must be at most 2000 characters")    \
        X(CE_PRICE_INVALID, ERROR_INVALID,                                                         \
          "price must be greater than 0 and less than 1000000000 units, with a 3-letter "          \
          "currency_code and nanos in 0..999999999")                                               \
        X(CE_CATEGORY_NAME_INVALID, ERROR_INVALID, "category name must be 1 to 100 characters")    \
        X(CE_CATEGORY_UNKNOWN, ERROR_INVALID, "category_id does not name an existing category")    \
        X(CE_STATUS_INVALID, ERROR_INVALID, "status must be one of the BOOK_STATUS_* values")      \
        X(CE_UPDATE_MASK_INVALID, ERROR_INVALID,                                                   \
          "update_mask must name fields among: title, authors, description, category_id, price")   \
        X(CE_PAGE_TOKEN_INVALID, ERROR_INVALID, "page_token is not one this service issued")       \
        X(CE_LIMIT_INVALID, ERROR_INVALID, "limit must be 0 (the default, 10) to 100")             \
        X(CE_BOOK_NOT_FOUND, ERROR_NOT_FOUND, "no such book")                                      \
        X(CE_ISBN_TAKEN, ERROR_CONFLICT, "a book with this ISBN is already in the catalog")        \
        X(CE_CATEGORY_TAKEN, ERROR_CONFLICT, "a category with this name already exists")           \
        X(CE_TRANSITION, ERROR_PRECONDITION, "this status change is not allowed")                  \
        X(CE_NOT_OWNER, ERROR_DENIED, "only the book's seller or an admin may change it")

enum catalog_error {
        CE_OK = 0,
        CE_FIRST = 1000,
#define CATALOG_ENUM(code, kind, msg) code,
        CATALOG_ERRORS(CATALOG_ENUM)
#undef CATALOG_ENUM
};

ERROR_TABLE_DECLARE(catalog);
