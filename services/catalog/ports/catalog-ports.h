/* Ports of the catalog service: where books and categories are kept
 * (adapters/mysql) and the read cache in front of them (adapters/redis).
 * Functions return 0 or a negative errno: -ENOENT not found, -EEXIST
 * duplicate, -ESTALE the row changed underneath (compare-and-set lost). */
#pragma once

#include "core/env.h"

#include "catalog-rules.h"
#include "catalog-sales.h"

struct catalog_category {
        char id[37];
        char name[404];
};

/* What a listing may show and how it is narrowed. */
struct catalog_book_query {
        unsigned visible_statuses;  /* bit (1 << status) for each status anyone may see */
        const char *owner_id;       /* also show this seller's books in any status; NULL: none */
        const char *category_id;    /* NULL/"": any */
        const char *author;         /* exact author name; NULL/"": any */
        enum catalog_status status; /* 0: any */
        const char *text;           /* substring of title or authors; NULL/"": none */
        int64_t after_seq;          /* keyset cursor */
        size_t limit;
};

/* A line of the sales statistics read model, with the book's title. */
struct catalog_best_seller {
        char book_id[65];
        char title[1204];
        struct catalog_sales sales;
};

struct catalog_repo_ops {
        int (*create_book)(void *self, const struct catalog_book *b);
        int (*get_book)(void *self, const char *id, struct catalog_book *ret);
        /* Writes title, authors, description, category_id, price, updated_at. */
        int (*update_book)(void *self, const struct catalog_book *b);
        /* from -> to only if the book is still in `from` (else -ESTALE). */
        int (*set_status)(void *self, const char *id, enum catalog_status from,
                          enum catalog_status to, int64_t updated_at);
        int (*list_books)(void *self, const struct catalog_book_query *q, struct catalog_book *ret,
                          size_t *ret_n);
        int (*create_category)(void *self, const struct catalog_category *c);
        int (*list_categories)(void *self, struct catalog_category *ret, size_t cap, size_t *ret_n);
        int (*category_exists)(void *self, const char *id, bool *ret_exists);
        /* Most units sold first (then book id), books in visible_statuses
         * only, of one category unless category_id is NULL/"". */
        int (*list_best_sellers)(void *self, const char *category_id, unsigned visible_statuses,
                                 size_t limit, struct catalog_best_seller *ret, size_t *ret_n);
};
struct catalog_repo {
        const struct catalog_repo_ops *ops;
        void *self;
};

/* A best-effort cache: errors are reported but never fail a read. A book's
 * entries have a generation that every invalidation advances; a fill carries
 * the generation its miss saw and is dropped if an invalidation came in
 * between (the reader may hold a row older than the writer's), so a stale
 * copy never outlives the write that made it stale. */
struct catalog_cache_ops {
        /* 0: a hit. -ENOENT: a miss, *ret_generation set for the fill. */
        int (*get)(void *self, const char *id, struct catalog_book *ret, int64_t *ret_generation);
        /* Stores b unless the book's generation moved past `generation`. */
        int (*put)(void *self, const struct catalog_book *b, int64_t generation);
        /* After the write: advances the generation and drops the entry. */
        int (*invalidate)(void *self, const char *id);
};
struct catalog_cache {
        const struct catalog_cache_ops *ops;
        void *self;
};
