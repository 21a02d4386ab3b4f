/* Ports of the order service: the order store (adapters/mysql) and the peers
 * it asks (adapters/peers, over gRPC): the catalog for prices, identity for a
 * customer's saved address. Negative errno results: -ENOENT, -EEXIST,
 * -ESTALE (compare-and-set lost), others: infrastructure. */
#pragma once

#include "core/env.h"

#include "order-rules.h"

struct order_address {
        char recipient[201], line1[201], line2[201], city[101], postal_code[21];
        char country_code[3];
};

struct order_item {
        char book_id[64];
        char title[1204];
        char seller_id[64];
        int32_t quantity;
        struct order_money unit_price, line_total;
};

struct order {
        char id[37];
        int64_t seq;
        char customer_id[64];
        struct order_item items[ORDER_MAX_ITEMS];
        size_t n_items;
        struct order_money total;
        enum order_status status;
        char status_reason[256];
        struct order_address address;
        char idempotency_key[65];
        int64_t created_at, updated_at;
};

struct order_query {
        const char *customer_id;  /* only this customer's orders; NULL: any */
        const char *seller_id;    /* only orders with this seller's books; NULL: any */
        const char *book_id;      /* only orders with this book; NULL: any */
        enum order_status status; /* 0: any */
        const char *const *ids;   /* only these orders (n_ids); none: any */
        size_t n_ids;
        int64_t updated_since; /* unix seconds; 0: any */
        int64_t after_seq;
        size_t limit;
};

struct order_store_ops {
        /* -EEXIST when the customer already used this idempotency key.
         * Sets o->seq: the stored order is then exactly *o, no read needed. */
        int (*insert)(void *self, struct order *o);
        int (*find)(void *self, const char *id, struct order *ret);
        int (*find_by_key)(void *self, const char *customer_id, const char *key, struct order *ret);
        /* changed: the order as read, with its new status, reason and
         * updated_at; stored only if the order is still in `from` (else
         * -ESTALE; -ENOENT when there is no such order). The order.* event
         * is made from `changed`: an order's lines never change after insert. */
        int (*set_status)(void *self, const struct order *changed, enum order_status from);
        int (*list)(void *self, const struct order_query *q, struct order *ret, size_t *ret_n);
};
struct order_store {
        const struct order_store_ops *ops;
        void *self;
};

struct order_book {
        char title[1204];
        char seller_id[64];
        struct order_money price;
        bool on_sale;
};

struct order_peers_ops {
        int (*book)(void *self, const char *book_id, const char *authorization,
                    struct order_book *ret);
        int (*address)(void *self, const char *address_id, const char *authorization,
                       struct order_address *ret);
};
struct order_peers {
        const struct order_peers_ops *ops;
        void *self;
};
