/* Orders in MariaDB; see order-mysql.h. An order and its lines are written in
 * one transaction; the (customer, idempotency key) unique key makes a repeat
 * of CreateOrder find the first order instead of making a second. */
#include "order-mysql.h"

#include "core/clock.h"
#include "order-events.h"

#include "core/listing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORDER_COLUMNS                                                                              \
        "seq, id, customer_id, COALESCE(idempotency_key, ''), status, status_reason, currency, "   \
        "total_units, total_nanos, recipient, line1, line2, city, postal_code, country_code, "     \
        "created_at, updated_at"

static void text(const struct db_row *row, size_t col, char *out, size_t len)
{
        snprintf(out, len, "%s", db_row_text(row, col, NULL));
}

struct order_rows {
        struct order *out;
        size_t cap, n;
};

static int order_row_cb(const struct db_row *row, void *userdata)
{
        struct order_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        struct order *o = &rows->out[rows->n++];
        memset(o, 0, sizeof(*o));
        o->seq = db_row_int64(row, 0);
        text(row, 1, o->id, sizeof(o->id));
        text(row, 2, o->customer_id, sizeof(o->customer_id));
        text(row, 3, o->idempotency_key, sizeof(o->idempotency_key));
        o->status = (enum order_status)db_row_int64(row, 4);
        text(row, 5, o->status_reason, sizeof(o->status_reason));
        text(row, 6, o->total.currency, sizeof(o->total.currency));
        o->total.units = db_row_int64(row, 7);
        o->total.nanos = (int32_t)db_row_int64(row, 8);
        text(row, 9, o->address.recipient, sizeof(o->address.recipient));
        text(row, 10, o->address.line1, sizeof(o->address.line1));
        text(row, 11, o->address.line2, sizeof(o->address.line2));
        text(row, 12, o->address.city, sizeof(o->address.city));
        text(row, 13, o->address.postal_code, sizeof(o->address.postal_code));
        text(row, 14, o->address.country_code, sizeof(o->address.country_code));
        o->created_at = db_row_int64(row, 15);
        o->updated_at = db_row_int64(row, 16);
        return 0;
}

static int item_row_cb(const struct db_row *row, void *userdata)
{
        struct order *o = userdata;
        if (o->n_items == ORDER_MAX_ITEMS)
                return 0;
        struct order_item *it = &o->items[o->n_items++];
        text(row, 0, it->book_id, sizeof(it->book_id));
        text(row, 1, it->title, sizeof(it->title));
        text(row, 2, it->seller_id, sizeof(it->seller_id));
        it->quantity = (int32_t)db_row_int64(row, 3);
        memcpy(it->unit_price.currency, o->total.currency, 4);
        memcpy(it->line_total.currency, o->total.currency, 4);
        it->unit_price.units = db_row_int64(row, 4);
        it->unit_price.nanos = (int32_t)db_row_int64(row, 5);
        it->line_total.units = db_row_int64(row, 6);
        it->line_total.nanos = (int32_t)db_row_int64(row, 7);
        return 0;
}

static int load_items(struct db_pool *pool, struct order *o)
{
        struct db_value v = db_text(o->id);
        o->n_items = 0;
        return db_pool_query(pool,
                             "SELECT book_id, title, seller_id, quantity, unit_units, unit_nanos, "
                             "line_units, line_nanos FROM order_items WHERE order_id = ? "
                             "ORDER BY position",
                             &v, 1, item_row_cb, o);
}

static int find_where(struct db_pool *pool, const char *where, const struct db_value *params,
                      size_t n, struct order *ret)
{
        char sql[512];
        snprintf(sql, sizeof(sql), "SELECT " ORDER_COLUMNS " FROM orders WHERE %s", where);
        struct order_rows rows = {.out = ret, .cap = 1};
        int r = db_pool_query(pool, sql, params, n, order_row_cb, &rows);
        if (r < 0)
                return r;
        return rows.n ? load_items(pool, ret) : -ENOENT;
}

static int store_find(void *self, const char *id, struct order *ret)
{
        struct db_value v = db_text(id);
        return find_where(self, "id = ?", &v, 1, ret);
}

static int store_find_by_key(void *self, const char *customer_id, const char *key,
                             struct order *ret)
{
        struct db_value v[] = {db_text(customer_id), db_text(key)};
        return find_where(self, "customer_id = ? AND idempotency_key = ?", v, 2, ret);
}

/* Appends the event of o's status to the outbox, on c's transaction. */
static int append_event(struct db_conn *c, const struct order *o)
{
        uint8_t *buf = malloc(ORDER_EVENT_MAX);
        char event_id[37];
        struct events_record rec;
        int r = buf ? order_event(o, clock_realtime_ms(), buf, event_id, &rec) : -ENOMEM;
        if (r > 0)
                r = events_outbox_append(c, &rec);
        free(buf);
        return r;
}

/* The order, its lines and order.created in one transaction. */
static int insert_change(struct db_conn *c, void *arg)
{
        struct order *o = arg;
        uint64_t seq = 0;
        int r;
        const struct order_address *a = &o->address;
        struct db_value head[] = {db_text(o->id),
                                  db_text(o->customer_id),
                                  o->idempotency_key[0] ? db_text(o->idempotency_key) : db_null(),
                                  db_int(o->status),
                                  db_text(o->status_reason),
                                  db_text(o->total.currency),
                                  db_int(o->total.units),
                                  db_int(o->total.nanos),
                                  db_text(a->recipient),
                                  db_text(a->line1),
                                  db_text(a->line2),
                                  db_text(a->city),
                                  db_text(a->postal_code),
                                  db_text(a->country_code),
                                  db_int(o->created_at),
                                  db_int(o->updated_at)};
        if ((r = db_exec(c,
                         "INSERT INTO orders (id, customer_id, idempotency_key, status, "
                         "status_reason, currency, total_units, total_nanos, recipient, line1, "
                         "line2, city, postal_code, country_code, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         head, 16, NULL, &seq)) < 0)
                return r;
        o->seq = (int64_t)seq;
        for (size_t i = 0; i < o->n_items; i++) {
                const struct order_item *it = &o->items[i];
                struct db_value line[] = {db_text(o->id),
                                          db_int((int64_t)i),
                                          db_text(it->book_id),
                                          db_text(it->title),
                                          db_text(it->seller_id),
                                          db_int(it->quantity),
                                          db_int(it->unit_price.units),
                                          db_int(it->unit_price.nanos),
                                          db_int(it->line_total.units),
                                          db_int(it->line_total.nanos)};
                if ((r = db_exec(c,
                                 "INSERT INTO order_items (order_id, position, book_id, title, "
                                 "seller_id, quantity, unit_units, unit_nanos, line_units, "
                                 "line_nanos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 line, 10, NULL, NULL)) < 0)
                        return r;
        }
        return append_event(c, o);
}

static int store_insert(void *self, struct order *o)
{
        return db_pool_in_transaction(self, insert_change, o);
}

/* The status change and its event in one transaction: a compare-and-set on
 * the status (no read under a lock: the caller read the order, and its
 * lines never change), then the event from the caller's copy. */
struct status_change {
        const struct order *changed;
        enum order_status from;
};

/* -ESTALE when the order exists (its status is not the expected one),
 * -ENOENT when it does not, as the port promises. */
static int order_exists(struct db_conn *c, const char *id)
{
        struct db_value v = db_text(id);
        bool found = false;
        int r = db_query(c, "SELECT 1 FROM orders WHERE id = ?", &v, 1, db_row_found, &found);
        return r < 0 ? r : found ? -ESTALE : -ENOENT;
}

static int status_change(struct db_conn *c, void *arg)
{
        const struct status_change *ch = arg;
        const struct order *o = ch->changed;
        struct db_value v[] = {db_int(o->status), db_text(o->status_reason), db_int(o->updated_at),
                               db_text(o->id), db_int(ch->from)};
        uint64_t changed = 0;
        int r = db_exec(c,
                        "UPDATE orders SET status = ?, status_reason = ?, updated_at = ? "
                        "WHERE id = ? AND status = ?",
                        v, 5, &changed, NULL);
        if (r == 0 && changed == 0)
                r = order_exists(c, o->id); /* yes: another change won */
        return r < 0 ? r : append_event(c, o);
}

static int store_set_status(void *self, const struct order *changed, enum order_status from)
{
        struct status_change ch = {changed, from};
        return db_pool_in_transaction(self, status_change, &ch);
}

static int store_list(void *self, const struct order_query *q, struct order *ret, size_t *ret_n)
{
        char sql[1400];
        struct db_value p[7 + LISTING_MAX_IDS];
        size_t n = 0;
        int len = snprintf(sql, sizeof(sql), "SELECT " ORDER_COLUMNS " FROM orders WHERE seq > ?");
        p[n++] = db_int(q->after_seq);
        if (q->customer_id) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND customer_id = ?");
                p[n++] = db_text(q->customer_id);
        }
        if (q->seller_id) {
                len += snprintf(
                        sql + len, sizeof(sql) - (size_t)len,
                        " AND id IN (SELECT order_id FROM order_items WHERE seller_id = ?)");
                p[n++] = db_text(q->seller_id);
        }
        if (q->book_id) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len,
                                " AND id IN (SELECT order_id FROM order_items WHERE book_id = ?)");
                p[n++] = db_text(q->book_id);
        }
        if (q->status) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND status = ?");
                p[n++] = db_int(q->status);
        }
        if (q->updated_since) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND updated_at >= ?");
                p[n++] = db_int(q->updated_since);
        }
        for (size_t i = 0; i < q->n_ids && i < LISTING_MAX_IDS; i++) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, i ? ", ?" : " AND id IN (?");
                p[n++] = db_text(q->ids[i]);
        }
        if (q->n_ids)
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, ")");
        snprintf(sql + len, sizeof(sql) - (size_t)len, " ORDER BY seq LIMIT ?");
        p[n++] = db_int((int64_t)q->limit);
        struct order_rows rows = {.out = ret, .cap = q->limit};
        int r = db_pool_query(self, sql, p, n, order_row_cb, &rows);
        for (size_t i = 0; r == 0 && i < rows.n; i++)
                r = load_items(self, &ret[i]);
        if (r == 0)
                *ret_n = rows.n;
        return r;
}

static const struct order_store_ops store_mysql_ops = {
        .insert = store_insert,
        .find = store_find,
        .find_by_key = store_find_by_key,
        .set_status = store_set_status,
        .list = store_list,
};

struct order_store order_store_mysql(struct db_pool *pool)
{
        return (struct order_store){.ops = &store_mysql_ops, .self = pool};
}
