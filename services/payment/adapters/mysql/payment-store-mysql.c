/* Payments in MariaDB; see payment-mysql.h. Every change and its domain
 * event (payment-events.h) are written in one transaction: the outbox. */
#include "payment-mysql.h"

#include "core/clock.h"
#include "db/listing.h"
#include "payment-events.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define COLUMNS                                                                                    \
        "order_id, id, customer_id, currency, units, nanos, status, decline_reason, "              \
        "provider_reference, created_at, updated_at, token, pending"

struct found {
        struct payment *p;
        bool any;
};

static void text(const struct db_row *row, size_t col, char *out, size_t len)
{
        snprintf(out, len, "%s", db_row_text(row, col, NULL));
}

static int payment_row_cb(const struct db_row *row, void *userdata)
{
        struct found *f = userdata;
        struct payment *p = f->p;
        memset(p, 0, sizeof(*p));
        text(row, 0, p->order_id, sizeof(p->order_id));
        text(row, 1, p->id, sizeof(p->id));
        text(row, 2, p->customer_id, sizeof(p->customer_id));
        text(row, 3, p->amount.currency, sizeof(p->amount.currency));
        p->amount.units = db_row_int64(row, 4);
        p->amount.nanos = (int32_t)db_row_int64(row, 5);
        p->status = (enum payment_status)db_row_int64(row, 6);
        text(row, 7, p->decline_reason, sizeof(p->decline_reason));
        text(row, 8, p->provider_reference, sizeof(p->provider_reference));
        p->created_at = db_row_int64(row, 9);
        p->updated_at = db_row_int64(row, 10);
        text(row, 11, p->token, sizeof(p->token));
        p->pending = (int)db_row_int64(row, 12);
        f->any = true;
        return 0;
}

static int store_find(void *self, const char *order_id, struct payment *ret)
{
        struct found f = {.p = ret};
        struct db_value v = db_text(order_id);
        int r = db_pool_query(self, "SELECT " COLUMNS " FROM payments WHERE order_id = ?", &v, 1,
                              payment_row_cb, &f);
        return r < 0 ? r : f.any ? 0 : -ENOENT;
}

/* Appends the event of p's new status to the outbox, on conn's transaction.
 * A fence is no payment, so no event. */
static int append_event(struct db_conn *conn, const struct payment *p)
{
        if (payment_is_fence(p))
                return 0;
        uint8_t buf[PAYMENT_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        int r = payment_event(p, clock_realtime_ms(), buf, event_id, &rec);
        return r <= 0 ? r : events_outbox_append(conn, &rec);
}

static int insert_change(struct db_conn *conn, void *arg)
{
        const struct payment *p = arg;
        struct db_value v[] = {db_text(p->order_id),
                               db_text(p->id),
                               db_text(p->customer_id),
                               db_text(p->amount.currency),
                               db_int(p->amount.units),
                               db_int(p->amount.nanos),
                               db_int(p->status),
                               db_text(p->decline_reason),
                               db_text(p->provider_reference),
                               db_int(p->created_at),
                               db_int(p->updated_at),
                               db_text(p->token),
                               db_int(p->pending)};
        int r = db_exec(conn,
                        "INSERT INTO payments (" COLUMNS
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        v, 13, NULL, NULL);
        return r < 0 ? r : append_event(conn, p);
}

static int store_insert(void *self, const struct payment *p)
{
        return db_pool_in_transaction(self, insert_change, (void *)p); /* change and event */
}

struct status_change {
        const struct payment *to;
        enum payment_status from;
        int from_pending;
};

static int status_change(struct db_conn *conn, void *arg)
{
        const struct status_change *c = arg;
        const struct payment *p = c->to;
        struct db_value v[] = {db_int(p->status),
                               db_int(p->pending),
                               db_text(p->decline_reason),
                               db_text(p->provider_reference),
                               db_int(p->updated_at),
                               db_text(p->order_id),
                               db_int(c->from),
                               db_int(c->from_pending)};
        uint64_t affected = 0;
        int r = db_exec(conn,
                        "UPDATE payments SET status = ?, pending = ?, decline_reason = ?, "
                        "provider_reference = ?, updated_at = ? "
                        "WHERE order_id = ? AND status = ? AND pending = ?",
                        v, 8, &affected, NULL);
        if (r < 0)
                return r;
        if (affected != 1)
                return -ESTALE; /* another change won */
        return p->status != c->from ? append_event(conn, p) : 0;
}

static int store_update(void *self, const struct payment *p, enum payment_status from,
                        int from_pending)
{
        struct status_change c = {p, from, from_pending};
        return db_pool_in_transaction(self, status_change, &c);
}

static void read_payment(const struct db_row *row, void *element)
{
        struct found f = {.p = element};
        payment_row_cb(row, &f);
}

static int store_list(void *self, const struct listing_filter *f, struct payment *ret,
                      size_t *ret_n)
{
        char sql[2048] = "SELECT " COLUMNS " FROM payments";
        struct db_value v[DB_LISTING_MAX_VALUES];
        size_t n = 0;
        struct db_rows rows = {
                .out = ret, .size = sizeof(*ret), .cap = f->limit, .read = read_payment};
        int r = db_listing_sql(f, "order_id", "status", "updated_at", sql, sizeof(sql), v, &n);
        if (r == 0)
                r = db_pool_query(self, sql, v, n, db_rows_cb, &rows);
        *ret_n = rows.n;
        return r < 0 ? r : 0;
}

static int store_prune_fences(void *self, int64_t before_s, int64_t *ret_n)
{
        struct db_value v = db_int(before_s);
        uint64_t n = 0;
        int r = db_pool_exec(self, "DELETE FROM payments WHERE customer_id = '' AND updated_at < ?",
                             &v, 1, &n, NULL);
        *ret_n = (int64_t)n;
        return r;
}

static const struct payment_store_ops store_mysql_ops = {
        .find = store_find,
        .insert = store_insert,
        .update = store_update,
        .list = store_list,
        .prune_fences = store_prune_fences,
};

struct payment_store payment_store_mysql(struct db_pool *pool)
{
        return (struct payment_store){.ops = &store_mysql_ops, .self = pool};
}
