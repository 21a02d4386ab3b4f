/* Review rules: what a review holds, who may see and change it, and the
 * book's rating summary, moved by each change. Pure functions on plain data;
 * no I/O. */
#pragma once

#include "core/rating.h"
#include "core/roles.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
        REVIEW_TEXT_MAX_CHARS = 2000,
        REVIEW_REASON_MAX_BYTES = 200,
        REVIEW_PAGE_DEFAULT = 20,
        REVIEW_PAGE_MAX = 50,
};

/* Same numbers as bookstore.review.v1.ReviewOrder (0 is NEWEST). */
enum review_order {
        REVIEW_NEWEST = 1,
        REVIEW_MOST_HELPFUL = 2,
};

struct review {
        char id[37];
        char book_id[64];
        char customer_id[64]; /* the author */
        char seller_id[64];   /* the book's seller, from the delivered order */
        int rating;           /* 1..5 */
        char text[REVIEW_TEXT_MAX_CHARS * 4 + 1];
        char answer[REVIEW_TEXT_MAX_CHARS * 4 + 1]; /* "" until answered */
        int64_t answered_ms;                        /* 0 until answered */
        bool hidden;
        char hidden_reason[REVIEW_REASON_MAX_BYTES + 1];
        int64_t helpful; /* "helpful" marks */
        int64_t created_ms, updated_ms;
        int64_t seq;     /* creation order, for keyset pages */
        int64_t version; /* compare-and-set on every change but marks */
};

/* The caller as the auth guard saw it; subject "" and role 0 when anonymous. */
struct review_caller {
        const char *subject;
        unsigned role;
        const char *authorization; /* forwarded to the order service */
};

bool review_rating_ok(int rating);
bool review_text_ok(const char *text);

/* The rating a review adds to its book's summary: 0 when it adds none
 * (NULL: no review; hidden: left out). */
int review_counted(const struct review *r);

/* Hidden reviews: their author and admins only. */
bool review_visible_to(const struct review *r, const struct review_caller *c);
bool review_is_author(const struct review *r, const struct review_caller *c);
/* What a caller is shown: the hiding reason only to the author and admins. */
void review_redact_for(struct review *r, const struct review_caller *c);
