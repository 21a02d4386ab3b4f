/* The reconciler's findings in MariaDB; see checkout-ports.h. Each write is
 * one statement, so replicas reconciling at once agree on which of them saw
 * a divergence first (only that one's write changes a row). */
#include "checkout-mysql.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DIVERGENCE_COLUMNS                                                                         \
        "seq, order_id, kind, status, detail, repair, first_seen_ms, last_seen_ms, closed_ms"

static int div_seen(void *self, const char *order_id, enum divergence_kind kind, const char *detail,
                    int64_t now_ms, bool *ret_new)
{
        uint64_t affected = 0;
        struct db_value again[] = {db_int(now_ms), db_text(detail), db_text(order_id),
                                   db_int(kind)};
        int r = db_pool_exec(self,
                             "UPDATE divergences SET last_seen_ms = ?, detail = ? "
                             "WHERE order_id = ? AND kind = ? AND status = 1",
                             again, 4, &affected, NULL);
        *ret_new = false;
        if (r < 0 || affected == 1)
                return r;
        struct db_value fresh[] = {db_text(order_id), db_int(kind), db_text(detail), db_int(now_ms),
                                   db_int(now_ms)};
        r = db_pool_exec(self,
                         "INSERT IGNORE INTO divergences (order_id, kind, status, detail, "
                         "first_seen_ms, last_seen_ms) VALUES (?, ?, 1, ?, ?, ?)",
                         fresh, 5, &affected, NULL);
        if (r == 0 && affected == 0) { /* closed before: open again */
                struct db_value back[] = {db_text(detail), db_int(now_ms), db_int(now_ms),
                                          db_text(order_id), db_int(kind)};
                r = db_pool_exec(self,
                                 "UPDATE divergences SET status = 1, detail = ?, repair = '', "
                                 "first_seen_ms = ?, last_seen_ms = ?, closed_ms = 0 "
                                 "WHERE order_id = ? AND kind = ? AND status <> 1",
                                 back, 5, &affected, NULL);
        }
        *ret_new = r == 0 && affected == 1; /* else another replica opened it first */
        return r;
}

static int div_close(void *self, const char *order_id, enum divergence_kind kind,
                     enum divergence_status status, const char *repair, int64_t now_ms)
{
        uint64_t affected = 0;
        struct db_value v[] = {db_int(status), db_text(repair ? repair : ""), db_int(now_ms),
                               db_text(order_id), db_int(kind)};
        int r = db_pool_exec(self,
                             "UPDATE divergences SET status = ?, repair = ?, closed_ms = ? "
                             "WHERE order_id = ? AND kind = ? AND status = 1",
                             v, 5, &affected, NULL);
        return r < 0 ? r : affected == 1 ? 0 : -ENOENT;
}

static void read_divergence(const struct db_row *row, void *element)
{
        struct checkout_divergence *d = element;
        d->seq = db_row_int64(row, 0);
        snprintf(d->order_id, sizeof(d->order_id), "%s", db_row_text(row, 1, NULL));
        d->kind = (enum divergence_kind)db_row_int64(row, 2);
        d->status = (enum divergence_status)db_row_int64(row, 3);
        snprintf(d->detail, sizeof(d->detail), "%s", db_row_text(row, 4, NULL));
        snprintf(d->repair, sizeof(d->repair), "%s", db_row_text(row, 5, NULL));
        d->first_seen_ms = db_row_int64(row, 6);
        d->last_seen_ms = db_row_int64(row, 7);
        d->closed_ms = db_row_int64(row, 8);
}

static int div_open(void *self, int64_t after_seq, struct checkout_divergence *ret, size_t max,
                    size_t *ret_n)
{
        struct db_value v[] = {db_int(after_seq), db_int((int64_t)max)};
        struct db_rows rows = {
                .out = ret, .size = sizeof(*ret), .cap = max, .read = read_divergence};
        int r = db_pool_query(self,
                              "SELECT " DIVERGENCE_COLUMNS " FROM divergences WHERE status = 1 "
                              "AND seq > ? ORDER BY seq LIMIT ?",
                              v, 2, db_rows_cb, &rows);
        *ret_n = rows.n;
        return r < 0 ? r : 0;
}

static int div_list(void *self, const struct checkout_divergence_query *q,
                    struct checkout_divergence *ret, size_t *ret_n)
{
        const char *order = q->order_id ? q->order_id : "";
        struct db_value v[] = {
                db_int(q->status),     db_int(q->status),     db_int(q->kind),
                db_int(q->kind),       db_text(order),        db_text(order),
                db_int(q->before_seq), db_int(q->before_seq), db_int((int64_t)q->limit)};
        struct db_rows rows = {
                .out = ret, .size = sizeof(*ret), .cap = q->limit, .read = read_divergence};
        int r = db_pool_query(self,
                              "SELECT " DIVERGENCE_COLUMNS " FROM divergences WHERE "
                              "(? = 0 OR status = ?) AND (? = 0 OR kind = ?) AND "
                              "(? = '' OR order_id = ?) AND (? = 0 OR seq < ?) "
                              "ORDER BY seq DESC LIMIT ?",
                              v, 9, db_rows_cb, &rows);
        *ret_n = rows.n;
        return r < 0 ? r : 0;
}

static int count_cb(const struct db_row *row, void *userdata)
{
        int64_t *counts = userdata;
        int64_t kind = db_row_int64(row, 0);
        if (kind >= 1 && kind <= DIVERGENCE_KINDS)
                counts[kind] = db_row_int64(row, 1);
        return 0;
}

static int div_count_open(void *self, int64_t ret[DIVERGENCE_KINDS + 1])
{
        memset(ret, 0, (DIVERGENCE_KINDS + 1) * sizeof(*ret));
        return db_pool_query(
                self, "SELECT kind, COUNT(*) FROM divergences WHERE status = 1 GROUP BY kind", NULL,
                0, count_cb, ret);
}

static int div_prune(void *self, int64_t before_ms, int64_t *ret_n)
{
        struct db_value v = db_int(before_ms);
        uint64_t n = 0;
        int r = db_pool_exec(self,
                             "DELETE FROM divergences WHERE status IN (2, 3) AND closed_ms < ?", &v,
                             1, &n, NULL);
        *ret_n = (int64_t)n;
        return r;
}

static const struct checkout_divergence_ops divergences_mysql_ops = {
        .seen = div_seen,
        .close = div_close,
        .open = div_open,
        .list = div_list,
        .count_open = div_count_open,
        .prune = div_prune,
};

struct checkout_divergence_store checkout_divergences_mysql(struct db_pool *pool)
{
        return (struct checkout_divergence_store){.ops = &divergences_mysql_ops, .self = pool};
}
