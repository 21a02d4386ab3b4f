/* The filter of the listings the checkout reconciler reads from its
 * participants (payments, reservations, orders): by status, by order ids,
 * changed since a time, in key order with keyset pages. One definition for
 * the three services; their stores match it in memory (listing_matches) or
 * in SQL (db/listing.h). Pure. */
#pragma once

#include "core/page.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LISTING_MAX_IDS = 100, LISTING_PAGE_DEFAULT = 100, LISTING_PAGE_MAX = 500 };

struct listing_filter {
        int status;             /* 0: any */
        const char *const *ids; /* only these keys (n_ids of them); none: any */
        size_t n_ids;
        int64_t updated_since_s;  /* 0: any */
        char after[PAGE_KEY_MAX]; /* the last key of the previous page; "": from the first */
        size_t limit;             /* rows to fetch: the page size + 1 */
};

enum listing_error {
        LISTING_OK = 0,
        LISTING_IDS_INVALID,   /* more than LISTING_MAX_IDS, or one not an id */
        LISTING_TOKEN_INVALID, /* not a token of this listing */
        LISTING_SINCE_INVALID, /* negative */
};

/* Fills f from a request's fields; ids must outlive f. */
enum listing_error listing_filter_init(struct listing_filter *f, int status, const char *const *ids,
                                       size_t n_ids, int64_t updated_since_s, int32_t page_size,
                                       const char *page_token, char prefix);
/* The row with this key, status and change time is in the listing. */
bool listing_matches(const struct listing_filter *f, const char *key, int status,
                     int64_t updated_s);
/* Where a row of a store kept in memory holds what a listing filters on:
 * offsets of its key (a char array), status (an enum or int) and change
 * time (int64_t seconds), and its size. */
struct listing_row_shape {
        size_t size, key, status, updated;
};
/* Copies into out, in key order, up to f->limit of the n rows that match f;
 * the count. For memory stores, which keep their rows unsorted. */
size_t listing_select(const struct listing_filter *f, const void *rows, size_t n,
                      const struct listing_row_shape *shape, void *out);
/* After a fetch of n rows (at most f->limit): the rows of the page and the
 * token of the next ("" when none); last_key(i) gives row i's key. */
size_t listing_page(const struct listing_filter *f, size_t n,
                    const char *(*last_key)(const void *rows, size_t i), const void *rows,
                    char prefix, char next_token[PAGE_KEY_MAX + 1]);
