/* Ports of the inventory service: the stock store (adapters/mysql, whose
 * operations are atomic) and the catalog, asked who sells a book
 * (adapters/peers, over gRPC). Negative errno results only: -ENOENT,
 * -EEXIST, -ERANGE (not enough stock / below reserved), -EPERM (state does
 * not allow it), -EDEADLK (retry), others: infrastructure. */
#pragma once

#include "core/listing.h"
#include "inventory-rules.h"

struct inventory_reservation {
        char order_id[65];
        enum inventory_reservation_status status;
        struct inventory_item items[INVENTORY_MAX_ITEMS];
        size_t n_items;
        int64_t updated_at; /* unix seconds; set by the listing only */
};

struct inventory_store_ops {
        /* A book never stocked has a level of zeros (not an error). */
        int (*get_level)(void *self, const char *book_id, struct inventory_level *ret);
        /* -ERANGE when on_hand would go below reserved. */
        int (*set_on_hand)(void *self, const char *book_id, int64_t on_hand,
                           struct inventory_level *ret);
        /* -ERANGE below reserved, -EOVERFLOW above INVENTORY_MAX_ON_HAND. */
        int (*adjust)(void *self, const char *book_id, int64_t delta, struct inventory_level *ret);
        /* All or nothing, items normalized. 0: reserved now. -EEXIST: the order
         * already has a reservation (*ret is it). -ERANGE: short of stock
         * (shortage names the books). */
        int (*reserve)(void *self, const char *order_id, const struct inventory_item *items,
                       size_t n, struct inventory_reservation *ret, char *shortage,
                       size_t shortage_len);
        /* Applies the action if the state machine allows (0; *ret after), does
         * nothing when already done (0), records a RELEASED tombstone for an
         * undo of an order never reserved (0; inventory_decide's FENCE), or
         * -EPERM (*ret as it is). -EDEADLK: a reservation raced it; retry. */
        int (*transition)(void *self, const char *order_id, enum inventory_action action,
                          struct inventory_reservation *ret);
        /* Up to f->limit reservations (tombstones too) matching f, with their
         * items, in order id order. */
        int (*list)(void *self, const struct listing_filter *f, struct inventory_reservation *ret,
                    size_t *ret_n);
        /* Deletes tombstones (a release or restock's fence of an order never
         * reserved) written before before_s (retention: no late reservation
         * of it can still arrive by then). */
        int (*prune_tombstones)(void *self, int64_t before_s, int64_t *ret_n);
};
struct inventory_store {
        const struct inventory_store_ops *ops;
        void *self;
};

struct inventory_books_ops {
        /* The seller of a book, asked with the caller's own authorization
         * (so the caller must be able to see it). -ENOENT when not visible. */
        int (*seller_of)(void *self, const char *book_id, const char *authorization,
                         char *ret_seller, size_t len);
};
struct inventory_books {
        const struct inventory_books_ops *ops;
        void *self;
};
