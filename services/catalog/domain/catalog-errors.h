/* The catalog's expected outcomes: code, kind (mapped to a gRPC status by
 * the adapter) and a message a person can act on. */
#pragma once

enum catalog_error_kind {
        CEK_INVALID,
        CEK_NOT_FOUND,
        CEK_CONFLICT,
        CEK_PRECONDITION,
        CEK_DENIED,
};

#define CATALOG_ERRORS(X)                                                                          \
        X(CE_TITLE_INVALID, CEK_INVALID, "title must be 1 to 300 characters")                      \
        X(CE_AUTHORS_INVALID, CEK_INVALID,                                                         \
          "authors must list 1 to 20 names of 1 to 200 characters")                                \
        X(CE_ISBN_INVALID, CEK_INVALID,                                                            \
          "isbn13 must be 13 digits with a valid check digit (hyphens and spaces allowed)")        \
        X(CE_DESCRIPTION_INVALID, CEK_INVALID, "description must be at most 2000 characters")      \
        X(CE_PRICE_INVALID, CEK_INVALID,                                                           \
          "price must be greater than 0 and less than 1000000000 units, with a 3-letter "          \
          "currency_code and nanos in 0..999999999")                                               \
        X(CE_CATEGORY_NAME_INVALID, CEK_INVALID, "category name must be 1 to 100 characters")      \
        X(CE_CATEGORY_UNKNOWN, CEK_INVALID, "category_id does not name an existing category")      \
        X(CE_STATUS_INVALID, CEK_INVALID, "status must be one of the BOOK_STATUS_* values")        \
        X(CE_UPDATE_MASK_INVALID, CEK_INVALID,                                                     \
          "update_mask must name fields among: title, authors, description, category_id, price")   \
        X(CE_PAGE_TOKEN_INVALID, CEK_INVALID, "page_token is not one this service issued")         \
        X(CE_LIMIT_INVALID, CEK_INVALID, "limit must be 0 (the default, 10) to 100")               \
        X(CE_BOOK_NOT_FOUND, CEK_NOT_FOUND, "no such book")                                        \
        X(CE_ISBN_TAKEN, CEK_CONFLICT, "a book with this ISBN is already in the catalog")          \
        X(CE_CATEGORY_TAKEN, CEK_CONFLICT, "a category with this name already exists")             \
        X(CE_TRANSITION, CEK_PRECONDITION, "this status change is not allowed")                    \
        X(CE_NOT_OWNER, CEK_DENIED, "only the book's seller or an admin may change it")

enum catalog_error {
        CE_OK = 0,
        CE_FIRST = 1000,
#define CATALOG_ENUM(code, kind, msg) code,
        CATALOG_ERRORS(CATALOG_ENUM)
#undef CATALOG_ENUM
};

const char *catalog_error_message(int code);
int catalog_error_kind(int code, enum catalog_error_kind *ret_kind);
