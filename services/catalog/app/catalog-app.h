/* Catalog use cases. Each returns CE_OK, a positive catalog_error, or a
 * negative errno. No mutable state: safe from many threads. */
#pragma once

#include "catalog-errors.h"
#include "catalog-ports.h"

enum {
        CATALOG_PAGE_DEFAULT = 20,
        CATALOG_PAGE_MAX = 100,
        CATALOG_BEST_DEFAULT = 10,
        CATALOG_BEST_MAX = 100
};

struct catalog_app {
        struct catalog_repo repo;
        struct catalog_cache cache;
        struct core_env env;
        /* cache errors are counted here for logs/metrics; reads still succeed */
        void (*on_cache_error)(int err, const char *what);
};

struct catalog_book_input {
        const char *title;
        const char *const *authors;
        size_t n_authors;
        const char *isbn13;
        const char *description;
        const char *category_id;
        struct catalog_money price;
};

enum catalog_update_field {
        CATALOG_UPDATE_TITLE = 1u << 0,
        CATALOG_UPDATE_AUTHORS = 1u << 1,
        CATALOG_UPDATE_DESCRIPTION = 1u << 2,
        CATALOG_UPDATE_CATEGORY = 1u << 3,
        CATALOG_UPDATE_PRICE = 1u << 4,
};
/* "title", "authors", ... -> bits; CE_UPDATE_MASK_INVALID for anything else or none. */
int catalog_parse_update_mask(const char *const *paths, size_t n, unsigned *ret_fields);

int catalog_create_book(struct catalog_app *app, const struct catalog_caller *caller,
                        const struct catalog_book_input *in, struct catalog_book *ret);
int catalog_update_book(struct catalog_app *app, const struct catalog_caller *caller,
                        const char *id, unsigned fields, const struct catalog_book_input *in,
                        struct catalog_book *ret);
/* Books the caller may not see are NOT_FOUND, so their existence does not leak.
 * fresh: from the database, never from the cache. */
int catalog_get_book(struct catalog_app *app, const struct catalog_caller *caller, const char *id,
                     bool fresh, struct catalog_book *ret);
/* explain receives the allowed transitions on CE_TRANSITION. */
int catalog_set_status(struct catalog_app *app, const struct catalog_caller *caller, const char *id,
                       enum catalog_status to, struct catalog_book *ret, char *explain,
                       size_t explain_len);

struct catalog_list_request {
        const char *category_id, *author, *text, *page_token;
        enum catalog_status status;
        int32_t page_size; /* 0: default */
};
/* ret must hold CATALOG_PAGE_MAX + 1 books. */
int catalog_list_books(struct catalog_app *app, const struct catalog_caller *caller,
                       const struct catalog_list_request *req, struct catalog_book *ret,
                       size_t *ret_n, char next_token[32]);

int catalog_create_category(struct catalog_app *app, const char *name,
                            struct catalog_category *ret);
int catalog_list_categories(struct catalog_app *app, struct catalog_category *ret, size_t cap,
                            size_t *ret_n);

/* The sales statistics read model (fed by order events): public, books on
 * sale or sold out only. limit 0: the default; ret holds CATALOG_BEST_MAX. */
int catalog_list_best_sellers(struct catalog_app *app, const char *category_id, int32_t limit,
                              struct catalog_best_seller *ret, size_t *ret_n);
