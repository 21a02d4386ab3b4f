/* Catalog rules: books, prices, the lifecycle and who may see or change a
 * book. Pure functions on plain data; no I/O. */
#pragma once

#include "core/rating.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same numbers as bookstore.catalog.v1.BookStatus. */
enum catalog_status {
        BOOK_REGISTERED = 1,
        BOOK_ON_SALE = 2,
        BOOK_SOLD_OUT = 3,
        BOOK_UNLISTED = 4,
};

/* Roles: libs/core's ROLE_* bits. */
#include "core/roles.h"

enum { CATALOG_MAX_AUTHORS = 20 };
/* The largest price: well inside int64 for any order's total (50 lines of
 * 100), and beyond any book. */
#define CATALOG_MAX_PRICE_UNITS 1000000000

struct catalog_money {
        char currency[4];
        int64_t units;
        int32_t nanos;
};

struct catalog_book {
        char id[37];
        char title[1204];   /* 300 characters of UTF-8 */
        char authors[4100]; /* names joined by '\x1f' (never in a name) */
        char isbn13[14];
        char description[8004]; /* 2000 characters */
        char category_id[37];   /* "" for none */
        struct catalog_money price;
        enum catalog_status status;
        char seller_id[64];
        int64_t created_at, updated_at;
        int64_t seq; /* creation order, for keyset pagination */
        /* its reviews, as the latest review event said (catalog-projections) */
        struct rating_summary rating;
};

/* The caller as the auth guard saw it; subject "" and role 0 when anonymous. */
struct catalog_caller {
        const char *subject;
        unsigned role;
};

/* Strips hyphens and spaces, then checks 13 digits and the check digit. */
int catalog_normalize_isbn13(const char *in, char out[14]);
int catalog_check_title(const char *title);
/* Joins names with '\x1f' into out after checking each. */
int catalog_join_authors(const char *const *names, size_t n, char *out, size_t out_len);
int catalog_check_description(const char *description);
int catalog_check_price(const struct catalog_money *m);
int catalog_check_category_name(const char *name);

/* CE_OK when from -> to is allowed; else CE_TRANSITION and `explain` says
 * which moves are allowed from `from`. */
int catalog_check_transition(enum catalog_status from, enum catalog_status to, char *explain,
                             size_t explain_len);
const char *catalog_status_name(enum catalog_status s);

bool catalog_can_view(const struct catalog_book *b, const struct catalog_caller *c);
bool catalog_can_edit(const struct catalog_book *b, const struct catalog_caller *c);
