/* The order store and peers in memory; see order-memory.h. */
#include "order-memory.h"

#include "core/grow.h"

#include "core/listing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void order_memory_store_init(struct order_memory_store *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void order_memory_store_free(struct order_memory_store *m)
{
        free(m->orders);
        m->orders = NULL;
        pthread_mutex_destroy(&m->lock);
}

static struct order *order_of(struct order_memory_store *m, const char *id)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->orders[i].id, id))
                        return &m->orders[i];
        return NULL;
}

static struct order *order_by_key(struct order_memory_store *m, const char *customer_id,
                                  const char *key)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->orders[i].idempotency_key[0] &&
                    !strcmp(m->orders[i].customer_id, customer_id) &&
                    !strcmp(m->orders[i].idempotency_key, key))
                        return &m->orders[i];
        return NULL;
}

static int mem_insert(void *self, struct order *o)
{
        struct order_memory_store *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        if (order_of(m, o->id) ||
            (o->idempotency_key[0] && order_by_key(m, o->customer_id, o->idempotency_key)))
                r = -EEXIST;
        if (!r)
                r = grow_for_one(&m->orders, &m->cap, m->n, sizeof(*m->orders));
        if (!r) {
                o->seq = (int64_t)m->n + 1;
                /* one currency per order: an item's is the total's, as MariaDB keeps it */
                for (size_t i = 0; i < o->n_items; i++) {
                        memcpy(o->items[i].unit_price.currency, o->total.currency, 4);
                        memcpy(o->items[i].line_total.currency, o->total.currency, 4);
                }
                m->orders[m->n++] = *o;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int copy_out(struct order_memory_store *m, const struct order *o, struct order *ret)
{
        if (o)
                *ret = *o;
        pthread_mutex_unlock(&m->lock);
        return o ? 0 : -ENOENT;
}

static int mem_find(void *self, const char *id, struct order *ret)
{
        struct order_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        return copy_out(m, order_of(m, id), ret);
}

static int mem_find_by_key(void *self, const char *customer_id, const char *key, struct order *ret)
{
        struct order_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        return copy_out(m, order_by_key(m, customer_id, key), ret);
}

static int mem_set_status(void *self, const struct order *changed, enum order_status from)
{
        struct order_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct order *o = order_of(m, changed->id);
        int r = !o ? -ENOENT : o->status != from ? -ESTALE : 0;
        if (!r) {
                o->status = changed->status;
                snprintf(o->status_reason, sizeof(o->status_reason), "%s", changed->status_reason);
                o->updated_at = changed->updated_at;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static bool sells(const struct order *o, const char *seller_id)
{
        for (size_t i = 0; i < o->n_items; i++)
                if (!strcmp(o->items[i].seller_id, seller_id))
                        return true;
        return false;
}

static bool contains(const struct order *o, const char *book_id)
{
        for (size_t i = 0; i < o->n_items; i++)
                if (!strcmp(o->items[i].book_id, book_id))
                        return true;
        return false;
}

static int mem_list(void *self, const struct order_query *q, struct order *ret, size_t *ret_n)
{
        struct order_memory_store *m = self;
        size_t n = 0;
        /* the reconciler's part of the filter: ids and change time */
        const struct listing_filter ids = {
                .ids = q->ids, .n_ids = q->n_ids, .updated_since_s = q->updated_since};
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n && n < q->limit; i++) {
                const struct order *o = &m->orders[i];
                if (o->seq > q->after_seq &&
                    (!q->customer_id || !strcmp(o->customer_id, q->customer_id)) &&
                    (!q->seller_id || sells(o, q->seller_id)) &&
                    (!q->book_id || contains(o, q->book_id)) &&
                    (!q->status || o->status == q->status) &&
                    listing_matches(&ids, o->id, 0, o->updated_at))
                        ret[n++] = *o;
        }
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static const struct order_store_ops store_ops = {
        .insert = mem_insert,
        .find = mem_find,
        .find_by_key = mem_find_by_key,
        .set_status = mem_set_status,
        .list = mem_list,
};

struct order_store order_store_memory(struct order_memory_store *m)
{
        return (struct order_store){.ops = &store_ops, .self = m};
}

int order_memory_catalog_add(struct order_memory_catalog *c, const char *book_id,
                             const char *seller_id, const struct order_money *price)
{
        if (c->n == ORDER_MEMORY_BOOKS)
                return -ENOSPC;
        snprintf(c->books[c->n].book_id, sizeof(c->books[c->n].book_id), "%s", book_id);
        struct order_book *b = &c->books[c->n++].book;
        memset(b, 0, sizeof(*b));
        snprintf(b->title, sizeof(b->title), "Book %s", book_id);
        snprintf(b->seller_id, sizeof(b->seller_id), "%s", seller_id);
        b->price = *price;
        b->on_sale = true;
        return 0;
}

static int catalog_book(void *self, const char *book_id, const char *authorization,
                        struct order_book *ret)
{
        const struct order_memory_catalog *c = self;
        for (size_t i = 0; i < c->n; i++)
                if (!strcmp(c->books[i].book_id, book_id)) {
                        *ret = c->books[i].book;
                        return 0;
                }
        return -ENOENT;
}

static int catalog_address(void *self, const char *address_id, const char *authorization,
                           struct order_address *ret)
{
        return -ENOENT;
}

static const struct order_peers_ops peers_ops = {.book = catalog_book, .address = catalog_address};

struct order_peers order_peers_memory(struct order_memory_catalog *c)
{
        return (struct order_peers){.ops = &peers_ops, .self = c};
}
