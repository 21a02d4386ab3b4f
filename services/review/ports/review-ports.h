/* Ports of the review service: the review store (adapters/mysql and
 * adapters/memory; each change is atomic with its book's summary and its
 * event) and the order service, asked whether a customer received a book
 * (adapters/peers, over gRPC with the customer's own token). Negative errno
 * results only: -ENOENT, -EEXIST, -ESTALE (changed meanwhile: read again),
 * others: infrastructure. */
#pragma once

#include "review-rules.h"

/* The event a change publishes (review.<name>). */
enum review_change {
        REVIEW_CREATED,
        REVIEW_UPDATED,
        REVIEW_DELETED,
        REVIEW_HIDDEN,
        REVIEW_UNHIDDEN,
        REVIEW_ANSWERED,
};
const char *review_change_event(enum review_change c); /* "review.created", ... */

struct review_query {
        const char *book_id;
        enum review_order order;
        /* Hidden reviews: NULL shows them all (admins); otherwise only this
         * author's ("" for nobody's). */
        const char *hidden_of;
        /* The last row of the previous page (both 0: from the first). */
        int64_t after_helpful, after_seq;
        size_t limit;
};

struct review_store_ops {
        /* Stores r (its seq and version set), moves the book's summary and
         * appends review.created, in one transaction. -EEXIST when its
         * customer has a review of the book. *ret_summary after. */
        int (*insert)(void *self, struct review *r, struct rating_summary *ret_summary);
        int (*find)(void *self, const char *id, struct review *ret);
        /* Writes after (rating, text, answer, hiding; not the marks) where the
         * stored version is after->version (-ESTALE otherwise), bumps it,
         * moves the summary from before's count to after's and appends the
         * change's event, in one transaction. */
        int (*update)(void *self, const struct review *before, struct review *after,
                      enum review_change change, struct rating_summary *ret_summary);
        /* Deletes r (and its marks) if still at r->version (-ESTALE), with
         * summary and review.deleted. */
        int (*remove)(void *self, const struct review *r, struct rating_summary *ret_summary);
        /* One mark per user: 0 marked now, -EEXIST marked before; *ret after. */
        int (*mark_helpful)(void *self, const char *review_id, const char *user_id,
                            struct review *ret);
        /* Up to q->limit reviews of the book in q's order after its key. */
        int (*list)(void *self, const struct review_query *q, struct review *ret, size_t *ret_n);
        /* Zeros for a book without reviews. */
        int (*summary)(void *self, const char *book_id, struct rating_summary *ret);
};
struct review_store {
        const struct review_store_ops *ops;
        void *self;
};

struct review_orders_ops {
        /* 0 with the book's seller when an order of the token's customer with
         * the book is DELIVERED; -ENOENT when none is; others: could not ask. */
        int (*delivered)(void *self, const char *authorization, const char *book_id,
                         char seller_id[64]);
};
struct review_orders {
        const struct review_orders_ops *ops;
        void *self;
};
