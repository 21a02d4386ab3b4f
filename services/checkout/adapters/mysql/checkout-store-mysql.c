/* Sagas in MariaDB; see checkout-mysql.h. The saga's state and input are JSON
 * documents (checkout-codec.h) in one row, so saving a state is one
 * single-row UPDATE guarded by the lease. */
#include "checkout-mysql.h"

#include "checkout-codec.h"
#include "checkout-events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAGA_COLUMNS                                                                               \
        "seq, id, kind, status, customer_id, idempotency_key, order_id, state, input, "            \
        "total_currency, total_units, total_nanos, trace_id, created_ms, updated_ms, version"
#define UNFINISHED "status IN (1, 2)" /* RUNNING, COMPENSATING */

static void copy(char *out, size_t len, const char *in)
{
        snprintf(out, len, "%s", in ? in : "");
}

struct saga_rows {
        struct checkout_saga *out;
        size_t cap, n;
        int error;
};

static int saga_row_cb(const struct db_row *row, void *userdata)
{
        struct saga_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        struct checkout_saga *s = &rows->out[rows->n++];
        memset(s, 0, sizeof(*s));
        s->seq = db_row_int64(row, 0);
        copy(s->id, sizeof(s->id), db_row_text(row, 1, NULL));
        s->kind = (enum checkout_kind)db_row_int64(row, 2);
        s->state.status = (enum saga_status)db_row_int64(row, 3);
        copy(s->customer_id, sizeof(s->customer_id), db_row_text(row, 4, NULL));
        copy(s->idempotency_key, sizeof(s->idempotency_key), db_row_text(row, 5, NULL));
        copy(s->order_id, sizeof(s->order_id), db_row_text(row, 6, NULL));
        if (checkout_codec_read_state(db_row_text(row, 7, NULL), s) < 0 ||
            checkout_codec_read_input(db_row_text(row, 8, NULL), s) < 0)
                rows->error = -EIO;
        copy(s->total.currency, sizeof(s->total.currency), db_row_text(row, 9, NULL));
        s->total.units = db_row_int64(row, 10);
        s->total.nanos = (int32_t)db_row_int64(row, 11);
        copy(s->trace_id, sizeof(s->trace_id), db_row_text(row, 12, NULL));
        s->created_ms = db_row_int64(row, 13);
        s->updated_ms = db_row_int64(row, 14);
        s->version = db_row_int64(row, 15);
        return 0;
}

static int find_one(struct db_pool *pool, const char *where, const struct db_value *v, size_t n,
                    struct checkout_saga *ret)
{
        char sql[512];
        snprintf(sql, sizeof(sql), "SELECT " SAGA_COLUMNS " FROM sagas WHERE %s", where);
        struct saga_rows rows = {.out = ret, .cap = 1};
        int r = db_pool_query(pool, sql, v, n, saga_row_cb, &rows);
        return r < 0 ? r : rows.error ? rows.error : rows.n ? 0 : -ENOENT;
}

static int store_find(void *self, const char *id, struct checkout_saga *ret)
{
        struct db_value v = db_text(id);
        return find_one(self, "id = ?", &v, 1, ret);
}

static int store_find_by_key(void *self, const char *customer_id, enum checkout_kind kind,
                             const char *key, struct checkout_saga *ret)
{
        struct db_value v[] = {db_text(customer_id), db_int(kind), db_text(key)};
        return find_one(self, "customer_id = ? AND kind = ? AND idempotency_key = ?", v, 3, ret);
}

static int store_find_by_order(void *self, const char *order_id, struct checkout_saga *ret)
{
        struct db_value v = db_text(order_id);
        return find_one(self, "order_id = ? ORDER BY seq DESC LIMIT 1", &v, 1, ret);
}

static const char *step_of(const struct checkout_saga *s)
{
        return saga_step_name(checkout_def_of(s->kind), &s->state);
}

static int store_insert(void *self, const struct checkout_saga *s, const char *owner,
                        int64_t lease_ms)
{
        char *state = checkout_codec_state(s), *input = checkout_codec_input(s);
        int r = -ENOMEM;
        if (state && input) {
                struct db_value v[] = {db_text(s->id),
                                       db_int(s->kind),
                                       db_int(s->state.status),
                                       db_text(s->customer_id),
                                       db_text(s->idempotency_key),
                                       db_text(s->order_id),
                                       db_text(state),
                                       db_text(input),
                                       db_text(s->total.currency),
                                       db_int(s->total.units),
                                       db_int(s->total.nanos),
                                       db_text(s->trace_id),
                                       db_text(owner),
                                       db_int(lease_ms),
                                       db_int(s->created_ms),
                                       db_int(s->updated_ms),
                                       db_text(step_of(s)),
                                       db_int(s->state.stuck)};
                r = db_pool_exec(self,
                                 "INSERT INTO sagas (id, kind, status, customer_id, "
                                 "idempotency_key, order_id, state, input, total_currency, "
                                 "total_units, total_nanos, trace_id, owner, lease_until, "
                                 "created_ms, updated_ms, step, stuck) VALUES (?, ?, ?, ?, ?, ?, "
                                 "?, ?, ?, ?, ?, ?, ?, " DB_NOW_MS " + ?, ?, ?, ?, ?)",
                                 v, 18, NULL, NULL);
        }
        free(state);
        free(input);
        return r;
}

enum { ATTEMPT_COLUMNS = 8, MAX_EVENTS = 2 };

/* One write of a saga in one transaction: the row's UPDATE, the attempts
 * for the journal (appended whether the UPDATE matched or not: they
 * happened), the audit entry, and the events when the UPDATE matched. */
struct saga_write {
        const char *sql;
        const struct db_value *values;
        size_t n;
        uint64_t affected;
        const char *saga_id;
        const struct checkout_attempt *attempts;
        size_t n_attempts;
        const struct checkout_action *action;
        int n_events;
        uint8_t buf[MAX_EVENTS][CHECKOUT_EVENT_MAX];
        char event_id[MAX_EVENTS][37];
        struct events_record rec[MAX_EVENTS];
};

static int insert_attempts(struct db_conn *conn, const char *saga_id,
                           const struct checkout_attempt *a, size_t n)
{
        char sql[1024] = "INSERT INTO saga_attempts (saga_id, step, compensation, outcome, code, "
                         "message, started_ms, duration_ms) VALUES ";
        struct db_value v[CHECKOUT_MAX_PENDING_ATTEMPTS * ATTEMPT_COLUMNS];
        size_t k = 0;
        for (size_t i = 0; i < n && i < CHECKOUT_MAX_PENDING_ATTEMPTS; i++) {
                strcat(sql, i ? ", (?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?)");
                v[k++] = db_text(saga_id);
                v[k++] = db_text(a[i].step);
                v[k++] = db_int(a[i].compensation);
                v[k++] = db_int(a[i].outcome);
                v[k++] = db_text(a[i].code);
                v[k++] = db_text(a[i].message);
                v[k++] = db_int(a[i].started_ms);
                v[k++] = db_int(a[i].duration_ms);
        }
        return db_exec(conn, sql, v, k, NULL, NULL);
}

static int insert_action(struct db_conn *conn, const char *saga_id, const struct checkout_action *a)
{
        struct db_value v[] = {db_text(saga_id),   db_int(a->op),    db_text(a->actor),
                               db_text(a->reason), db_text(a->step), db_int(a->from),
                               db_int(a->to),      db_int(a->at_ms)};
        return db_exec(conn,
                       "INSERT INTO saga_actions (saga_id, action, actor, reason, step, "
                       "from_status, to_status, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       v, 8, NULL, NULL);
}

static int write_body(struct db_conn *conn, void *arg)
{
        struct saga_write *w = arg;
        int r = db_exec(conn, w->sql, w->values, w->n, &w->affected, NULL);
        if (r == 0 && w->n_attempts)
                r = insert_attempts(conn, w->saga_id, w->attempts, w->n_attempts);
        if (r == 0 && w->affected == 1 && w->action)
                r = insert_action(conn, w->saga_id, w->action);
        for (int i = 0; r == 0 && w->affected == 1 && i < w->n_events; i++)
                r = events_outbox_append(conn, &w->rec[i]);
        return r;
}

/* The saga's end event into w (when the state is final). */
static int add_end_event(struct saga_write *w, const struct checkout_saga *s)
{
        int built = checkout_event(s, s->updated_ms, w->buf[w->n_events], w->event_id[w->n_events],
                                   &w->rec[w->n_events]);
        w->n_events += built > 0;
        return built < 0 ? built : 0;
}

/* Runs w: in a transaction when it has more than its UPDATE. */
static int run_write(struct db_pool *pool, struct saga_write *w)
{
        if (!w->n_attempts && !w->action && !w->n_events)
                return db_pool_exec(pool, w->sql, w->values, w->n, &w->affected, NULL);
        return db_pool_in_transaction(pool, write_body, w);
}

static int store_save(void *self, const struct checkout_saga *s, const char *owner,
                      int64_t lease_ms, const struct checkout_attempt *attempts, size_t n_attempts)
{
        char *state = checkout_codec_state(s);
        struct saga_write *w = calloc(1, sizeof(*w));
        int r = -ENOMEM;
        if (!state || !w)
                goto out;
        struct db_value v[] = {
                db_int(s->state.status),    db_text(s->order_id),   db_text(state),
                db_text(s->total.currency), db_int(s->total.units), db_int(s->total.nanos),
                db_int(s->updated_ms),      db_text(step_of(s)),    db_int(s->state.stuck),
                db_int(lease_ms),           db_text(s->id),         db_text(owner)};
        /* a saga is only written while unfinished: its end is written once,
         * together with its event */
        *w = (struct saga_write){.sql = "UPDATE sagas SET status = ?, order_id = ?, state = ?, "
                                        "total_currency = ?, total_units = ?, total_nanos = ?, "
                                        "updated_ms = ?, step = ?, stuck = ?, "
                                        "lease_until = " DB_NOW_MS " + ?, version = version + 1 "
                                        "WHERE id = ? AND owner = ? AND " UNFINISHED,
                                 .values = v,
                                 .n = 12,
                                 .saga_id = s->id,
                                 .attempts = attempts,
                                 .n_attempts = n_attempts};
        if ((r = add_end_event(w, s)) == 0)
                r = run_write(self, w);
        if (r == 0 && w->affected != 1)
                r = -ESTALE;
out:
        free(state);
        free(w);
        return r;
}

static int store_operate(void *self, const struct checkout_saga *s, const struct checkout_action *a)
{
        char *state = checkout_codec_state(s);
        struct saga_write *w = calloc(1, sizeof(*w));
        int r = -ENOMEM;
        if (!state || !w)
                goto out;
        struct db_value v[] = {
                db_int(s->state.status), db_text(state), db_int(s->updated_ms), db_text(step_of(s)),
                db_int(s->state.stuck),  db_text(s->id), db_int(s->version)};
        /* the lease is released: whoever drives the saga next claims it */
        *w = (struct saga_write){.sql = "UPDATE sagas SET status = ?, state = ?, updated_ms = ?, "
                                        "step = ?, stuck = ?, owner = '', lease_until = 0, "
                                        "version = version + 1 WHERE id = ? AND version = ?",
                                 .values = v,
                                 .n = 7,
                                 .saga_id = s->id,
                                 .action = a};
        int built = checkout_operator_event(s, a, w->buf[0], w->event_id[0], &w->rec[0]);
        if (built < 0) {
                r = built;
                goto out;
        }
        w->n_events = 1;
        if (a->from != a->to && (r = add_end_event(w, s)) < 0)
                goto out;
        r = run_write(self, w);
        if (r == 0 && w->affected != 1)
                r = -ESTALE;
out:
        free(state);
        free(w);
        return r;
}

static void read_attempt(const struct db_row *row, void *element)
{
        struct checkout_attempt *a = element;
        copy(a->step, sizeof(a->step), db_row_text(row, 0, NULL));
        a->compensation = db_row_int64(row, 1) != 0;
        a->outcome = (enum saga_outcome)db_row_int64(row, 2);
        copy(a->code, sizeof(a->code), db_row_text(row, 3, NULL));
        copy(a->message, sizeof(a->message), db_row_text(row, 4, NULL));
        a->started_ms = db_row_int64(row, 5);
        a->duration_ms = db_row_int64(row, 6);
}

static int store_journal(void *self, const char *id, struct checkout_attempt *ret, size_t max,
                         size_t *ret_n, int64_t *ret_total)
{
        struct db_value v[] = {db_text(id), db_int((int64_t)max)};
        struct db_rows rows = {.out = ret, .size = sizeof(*ret), .cap = max, .read = read_attempt};
        int64_t total = 0;
        /* the newest max, turned oldest first */
        int r = db_pool_query(self,
                              "SELECT step, compensation, outcome, code, message, started_ms, "
                              "duration_ms FROM (SELECT * FROM saga_attempts WHERE saga_id = ? "
                              "ORDER BY seq DESC LIMIT ?) newest ORDER BY seq",
                              v, 2, db_rows_cb, &rows);
        if (r == 0) /* the attempts kept and those retention let go of */
                r = db_pool_query(self,
                                  "SELECT (SELECT COUNT(*) FROM saga_attempts WHERE saga_id = ?) + "
                                  "COALESCE((SELECT journal_dropped FROM sagas WHERE id = ?), 0)",
                                  (struct db_value[]){v[0], v[0]}, 2, db_row_first_int64, &total);
        *ret_n = rows.n;
        *ret_total = total;
        return r < 0 ? r : 0;
}

static void read_action(const struct db_row *row, void *element)
{
        struct checkout_action *a = element;
        a->op = (enum saga_op)db_row_int64(row, 0);
        copy(a->actor, sizeof(a->actor), db_row_text(row, 1, NULL));
        copy(a->reason, sizeof(a->reason), db_row_text(row, 2, NULL));
        copy(a->step, sizeof(a->step), db_row_text(row, 3, NULL));
        a->from = (enum saga_status)db_row_int64(row, 4);
        a->to = (enum saga_status)db_row_int64(row, 5);
        a->at_ms = db_row_int64(row, 6);
}

static int store_actions(void *self, const char *id, struct checkout_action *ret, size_t max,
                         size_t *ret_n)
{
        struct db_value v[] = {db_text(id), db_int((int64_t)max)};
        struct db_rows rows = {.out = ret, .size = sizeof(*ret), .cap = max, .read = read_action};
        int r = db_pool_query(self,
                              "SELECT action, actor, reason, step, from_status, to_status, at_ms "
                              "FROM saga_actions WHERE saga_id = ? ORDER BY seq LIMIT ?",
                              v, 2, db_rows_cb, &rows);
        *ret_n = rows.n;
        return r < 0 ? r : 0;
}

struct census_rows {
        struct checkout_census *c;
        int64_t now_ms;
};

static int census_row_cb(const struct db_row *row, void *userdata)
{
        struct census_rows *rows = userdata;
        int64_t kind = db_row_int64(row, 0), status = db_row_int64(row, 1);
        if (kind < 1 || kind > 2)
                return 0;
        for (int i = 0; i < CHECKOUT_CENSUS_STATUSES; i++)
                if (checkout_census_statuses[i] == status)
                        rows->c->sagas[kind - 1][i]
                                      [checkout_age_bucket(rows->now_ms - db_row_int64(row, 2))] +=
                                db_row_int64(row, 3);
        rows->c->stuck[kind - 1] += db_row_int64(row, 4);
        int64_t oldest = db_row_int64(row, 5);
        if (status != SAGA_FAILED &&
            (!rows->c->oldest_unfinished_ms || oldest < rows->c->oldest_unfinished_ms))
                rows->c->oldest_unfinished_ms = oldest;
        return 0;
}

static int store_census(void *self, int64_t now_ms, struct checkout_census *ret)
{
        memset(ret, 0, sizeof(*ret));
        struct census_rows rows = {.c = ret, .now_ms = now_ms};
        struct db_value v[CHECKOUT_AGE_BUCKETS - 1];
        for (size_t i = 0; i < CHECKOUT_AGE_BUCKETS - 1; i++)
                v[i] = db_int(now_ms - checkout_age_bounds_ms[i]);
        /* one row per kind, status and age bucket (named by a created_ms in
         * it, the newest), with its count, its stuck ones and its oldest */
        return db_pool_query(self,
                             "SELECT kind, status, MAX(created_ms), COUNT(*), SUM(stuck), "
                             "MIN(created_ms) FROM sagas WHERE status IN (1, 2, 5) "
                             "GROUP BY kind, status, CASE WHEN created_ms > ? THEN 0 "
                             "WHEN created_ms > ? THEN 1 WHEN created_ms > ? THEN 2 "
                             "WHEN created_ms > ? THEN 3 ELSE 4 END",
                             v, CHECKOUT_AGE_BUCKETS - 1, census_row_cb, &rows);
}

static int store_claim(void *self, const char *id, const char *owner, int64_t lease_ms,
                       struct checkout_saga *ret)
{
        struct db_value v[] = {db_text(owner), db_int(lease_ms), db_text(id), db_text(owner)};
        uint64_t affected = 0;
        int r = db_pool_exec(self,
                             "UPDATE sagas SET owner = ?, lease_until = " DB_NOW_MS " + ?, "
                             "version = version + 1 WHERE id = ? AND " UNFINISHED
                             " AND (owner = ? OR lease_until < " DB_NOW_MS ")",
                             v, 4, &affected, NULL);
        if (r < 0)
                return r;
        return affected == 1 ? store_find(self, id, ret) : -ESTALE;
}

struct id_rows {
        char (*ids)[37];
        int64_t *seqs;
        size_t cap, n;
};

static int id_row_cb(const struct db_row *row, void *userdata)
{
        struct id_rows *rows = userdata;
        if (rows->n < rows->cap) {
                rows->seqs[rows->n] = db_row_int64(row, 1);
                copy(rows->ids[rows->n++], 37, db_row_text(row, 0, NULL));
        }
        return 0;
}

static int store_list_unfinished(void *self, const char *owner, int64_t after_seq, char (*ids)[37],
                                 int64_t *seqs, size_t max, size_t *ret_n)
{
        struct db_value v[] = {db_int(after_seq), db_text(owner), db_int((int64_t)max)};
        struct id_rows rows = {.ids = ids, .seqs = seqs, .cap = max};
        int r = db_pool_query(self,
                              "SELECT id, seq FROM sagas WHERE seq > ? AND " UNFINISHED
                              " AND (owner = ? OR lease_until < " DB_NOW_MS
                              ") ORDER BY seq LIMIT ?",
                              v, 3, id_row_cb, &rows);
        *ret_n = rows.n;
        return r < 0 ? r : 0;
}

static int store_list(void *self, const struct checkout_query *q, struct checkout_saga *ret,
                      size_t *ret_n)
{
        const char *customer = q->customer_id ? q->customer_id : "",
                   *order = q->order_id ? q->order_id : "", *step = q->step ? q->step : "";
        struct db_value v[] = {db_int(q->status),
                               db_int(q->status),
                               db_int(q->kind),
                               db_int(q->kind),
                               db_int(q->before_seq),
                               db_int(q->before_seq),
                               db_int(q->stuck_only),
                               db_int(q->created_before_ms),
                               db_int(q->created_before_ms),
                               db_text(customer),
                               db_text(customer),
                               db_text(order),
                               db_text(order),
                               db_text(step),
                               db_text(step),
                               db_int((int64_t)q->limit)};
        struct saga_rows rows = {.out = ret, .cap = q->limit};
        int r = db_pool_query(self,
                              "SELECT " SAGA_COLUMNS " FROM sagas WHERE (? = 0 OR status = ?) "
                              "AND (? = 0 OR kind = ?) AND (? = 0 OR seq < ?) "
                              "AND (? = 0 OR stuck = 1) AND (? = 0 OR created_ms < ?) "
                              "AND (? = '' OR customer_id = ?) AND (? = '' OR order_id = ?) "
                              "AND (? = '' OR step = ?) ORDER BY seq DESC LIMIT ?",
                              v, 16, saga_row_cb, &rows);
        *ret_n = rows.n;
        return r < 0 ? r : rows.error;
}

/* ---- retention ---------------------------------------------------------- */

enum { PRUNE_BATCH = 100 };

struct id_list {
        char ids[PRUNE_BATCH][37];
        size_t n;
};

static int id_list_row(const struct db_row *row, void *userdata)
{
        struct id_list *l = userdata;
        if (l->n < PRUNE_BATCH)
                copy(l->ids[l->n++], 37, db_row_text(row, 0, NULL));
        return 0;
}

/* One finished saga and everything that is only about it, in one
 * transaction. */
static int delete_saga_tx(struct db_conn *conn, void *arg)
{
        const char *id = arg;
        struct db_value v = db_text(id);
        int r = db_exec(conn, "DELETE FROM saga_attempts WHERE saga_id = ?", &v, 1, NULL, NULL);
        if (r == 0)
                r = db_exec(conn, "DELETE FROM saga_actions WHERE saga_id = ?", &v, 1, NULL, NULL);
        if (r == 0)
                r = db_exec(conn, "DELETE FROM sagas WHERE id = ? AND status IN (3, 4)", &v, 1,
                            NULL, NULL);
        return r;
}

struct trim {
        const char *id;
        const struct checkout_retention *r;
        uint64_t dropped;
};

/* All but the first head and last tail attempts of one saga, counted on the
 * saga in the same transaction. */
static int trim_journal_tx(struct db_conn *conn, void *arg)
{
        struct trim *t = arg;
        struct db_value v[] = {db_text(t->id), db_text(t->id), db_int((int64_t)t->r->journal_head),
                               db_text(t->id), db_int((int64_t)t->r->journal_tail)};
        t->dropped = 0;
        int r = db_exec(conn,
                        "DELETE FROM saga_attempts WHERE saga_id = ? "
                        "AND seq NOT IN (SELECT seq FROM (SELECT seq FROM saga_attempts "
                        "WHERE saga_id = ? ORDER BY seq LIMIT ?) head) "
                        "AND seq NOT IN (SELECT seq FROM (SELECT seq FROM saga_attempts "
                        "WHERE saga_id = ? ORDER BY seq DESC LIMIT ?) tail)",
                        v, 5, &t->dropped, NULL);
        struct db_value u[] = {db_int((int64_t)t->dropped), db_text(t->id)};
        if (r == 0 && t->dropped)
                r = db_exec(conn,
                            "UPDATE sagas SET journal_dropped = journal_dropped + ? "
                            "WHERE id = ?",
                            u, 2, NULL, NULL);
        return r;
}

static int store_prune(void *self, const struct checkout_retention *ret_r,
                       struct checkout_pruned *ret)
{
        memset(ret, 0, sizeof(*ret));
        size_t max = ret_r->max_sagas < PRUNE_BATCH ? ret_r->max_sagas : PRUNE_BATCH;
        struct id_list *l = calloc(1, sizeof(*l));
        int r = l ? 0 : -ENOMEM;
        if (r == 0 && ret_r->finished_before_ms > 0) {
                struct db_value v[] = {db_int(ret_r->finished_before_ms), db_int((int64_t)max)};
                r = db_pool_query(self,
                                  "SELECT id FROM sagas WHERE status IN (3, 4) AND updated_ms < ? "
                                  "LIMIT ?",
                                  v, 2, id_list_row, l);
                for (size_t i = 0; r == 0 && i < l->n; i++)
                        if ((r = db_pool_in_transaction(self, delete_saga_tx, l->ids[i])) == 0)
                                ret->sagas++;
        }
        if (r == 0) {
                l->n = 0;
                struct db_value v[] = {db_int((int64_t)(ret_r->journal_head + ret_r->journal_tail)),
                                       db_int((int64_t)max)};
                r = db_pool_query(self,
                                  "SELECT saga_id FROM saga_attempts GROUP BY saga_id "
                                  "HAVING COUNT(*) > ? LIMIT ?",
                                  v, 2, id_list_row, l);
                for (size_t i = 0; r == 0 && i < l->n; i++) {
                        struct trim t = {.id = l->ids[i], .r = ret_r};
                        if ((r = db_pool_in_transaction(self, trim_journal_tx, &t)) == 0)
                                ret->attempts += (int64_t)t.dropped;
                }
        }
        free(l);
        return r;
}

static const struct checkout_store_ops store_mysql_ops = {
        .insert = store_insert,
        .find = store_find,
        .find_by_key = store_find_by_key,
        .find_by_order = store_find_by_order,
        .claim = store_claim,
        .save = store_save,
        .list_unfinished = store_list_unfinished,
        .list = store_list,
        .operate = store_operate,
        .journal = store_journal,
        .actions = store_actions,
        .census = store_census,
        .prune = store_prune,
};

struct checkout_store checkout_store_mysql(struct db_pool *pool)
{
        return (struct checkout_store){.ops = &store_mysql_ops, .self = pool};
}
