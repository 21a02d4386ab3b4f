/* The review store on MariaDB; see review-mysql.h. A change locks its
 * book's summary row (FOR UPDATE), so the summaries of one book are made
 * one after another and their versions never repeat. */
#include "review-mysql.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define REVIEW_COLUMNS                                                                             \
        "seq, id, book_id, customer_id, seller_id, rating, text, answer, answered_ms, hidden, "    \
        "hidden_reason, helpful, created_ms, updated_ms, version"

static void text(const struct db_row *row, size_t col, char *out, size_t len)
{
        snprintf(out, len, "%s", db_row_text(row, col, NULL));
}

static void read_review(const struct db_row *row, void *element)
{
        struct review *r = element;
        r->seq = db_row_int64(row, 0);
        text(row, 1, r->id, sizeof(r->id));
        text(row, 2, r->book_id, sizeof(r->book_id));
        text(row, 3, r->customer_id, sizeof(r->customer_id));
        text(row, 4, r->seller_id, sizeof(r->seller_id));
        r->rating = (int)db_row_int64(row, 5);
        text(row, 6, r->text, sizeof(r->text));
        text(row, 7, r->answer, sizeof(r->answer));
        r->answered_ms = db_row_int64(row, 8);
        r->hidden = db_row_int64(row, 9) != 0;
        text(row, 10, r->hidden_reason, sizeof(r->hidden_reason));
        r->helpful = db_row_int64(row, 11);
        r->created_ms = db_row_int64(row, 12);
        r->updated_ms = db_row_int64(row, 13);
        r->version = db_row_int64(row, 14);
}

static int find_on(struct db_conn *conn, const char *id, bool lock, struct review *ret)
{
        struct db_rows rows = {.out = ret, .size = sizeof(*ret), .cap = 1, .read = read_review};
        struct db_value v = db_text(id);
        int r = db_query(conn,
                         lock ? "SELECT " REVIEW_COLUMNS " FROM reviews WHERE id = ? FOR UPDATE"
                              : "SELECT " REVIEW_COLUMNS " FROM reviews WHERE id = ?",
                         &v, 1, db_rows_cb, &rows);
        return r < 0 ? r : rows.n ? 0 : -ENOENT;
}

static void read_summary(const struct db_row *row, void *element)
{
        struct rating_summary *s = element;
        s->count = db_row_int64(row, 0);
        for (int i = 0; i < RATING_STARS; i++)
                s->stars[i] = db_row_int64(row, 1 + (size_t)i);
        s->version = db_row_int64(row, 6);
}

static int summary_on(struct db_conn *conn, const char *book_id, bool lock,
                      struct rating_summary *ret, bool *ret_found)
{
        memset(ret, 0, sizeof(*ret));
        struct db_rows rows = {.out = ret, .size = sizeof(*ret), .cap = 1, .read = read_summary};
        struct db_value v = db_text(book_id);
        int r = db_query(conn,
                         lock ? "SELECT count, stars_1, stars_2, stars_3, stars_4, stars_5, "
                                "version FROM book_ratings WHERE book_id = ? FOR UPDATE"
                              : "SELECT count, stars_1, stars_2, stars_3, stars_4, stars_5, "
                                "version FROM book_ratings WHERE book_id = ?",
                         &v, 1, db_rows_cb, &rows);
        if (ret_found)
                *ret_found = rows.n > 0;
        return r;
}

/* The summary of r's book moved from `before` to `after` stars, written and
 * published with the change's event. */
static int move_summary(struct db_conn *conn, const struct review *r, int before, int after,
                        enum review_change change, struct rating_summary *ret)
{
        bool found;
        int rc = summary_on(conn, r->book_id, true, ret, &found);
        if (rc < 0)
                return rc;
        rating_move(ret, before, after);
        struct db_value v[] = {db_int(ret->count),    db_int(ret->stars[0]), db_int(ret->stars[1]),
                               db_int(ret->stars[2]), db_int(ret->stars[3]), db_int(ret->stars[4]),
                               db_int(ret->version),  db_text(r->book_id)};
        rc = db_exec(conn,
                     found ? "UPDATE book_ratings SET count = ?, stars_1 = ?, stars_2 = ?, "
                             "stars_3 = ?, stars_4 = ?, stars_5 = ?, version = ? WHERE book_id = ?"
                           : "INSERT INTO book_ratings (count, stars_1, stars_2, stars_3, stars_4, "
                             "stars_5, version, book_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     v, 8, NULL, NULL);
        return rc < 0 ? rc : review_append_event(conn, change, r, ret);
}

struct write {
        const struct review *before;
        struct review *after;
        enum review_change change;
        struct rating_summary *summary;
};

static int insert_tx(struct db_conn *conn, void *arg)
{
        struct write *w = arg;
        struct review *r = w->after;
        /* the summary row first: concurrent creates of one book queue here */
        struct rating_summary locked;
        int rc = summary_on(conn, r->book_id, true, &locked, NULL);
        struct db_value v[] = {db_text(r->id),          db_text(r->book_id),
                               db_text(r->customer_id), db_text(r->seller_id),
                               db_int(r->rating),       db_text(r->text),
                               db_text(r->answer),      db_int(r->answered_ms),
                               db_int(r->hidden),       db_text(r->hidden_reason),
                               db_int(r->created_ms),   db_int(r->updated_ms)};
        uint64_t seq = 0;
        if (rc == 0)
                rc = db_exec(conn,
                             "INSERT INTO reviews (id, book_id, customer_id, seller_id, rating, "
                             "text, answer, answered_ms, hidden, hidden_reason, created_ms, "
                             "updated_ms, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                             v, 12, NULL, &seq);
        if (rc < 0)
                return rc; /* -EEXIST: the customer's review of the book exists */
        r->seq = (int64_t)seq;
        r->version = 1;
        r->helpful = 0; /* marks are the store's */
        return move_summary(conn, r, 0, review_counted(r), REVIEW_CREATED, w->summary);
}

static int store_insert(void *self, struct review *r, struct rating_summary *ret_summary)
{
        struct write w = {.after = r, .change = REVIEW_CREATED, .summary = ret_summary};
        return db_pool_in_transaction(self, insert_tx, &w);
}

static int store_find(void *self, const char *id, struct review *ret)
{
        struct db_conn *conn;
        int r = db_acquire(self, &conn);
        if (r < 0)
                return r;
        r = find_on(conn, id, false, ret);
        db_release(conn);
        return r;
}

static int update_tx(struct db_conn *conn, void *arg)
{
        struct write *w = arg;
        struct review *a = w->after;
        struct db_value v[] = {db_int(a->rating),      db_text(a->text),  db_text(a->answer),
                               db_int(a->answered_ms), db_int(a->hidden), db_text(a->hidden_reason),
                               db_int(a->updated_ms),  db_text(a->id),    db_int(a->version)};
        uint64_t changed = 0;
        int rc = db_exec(conn,
                         "UPDATE reviews SET rating = ?, text = ?, answer = ?, answered_ms = ?, "
                         "hidden = ?, hidden_reason = ?, updated_ms = ?, version = version + 1 "
                         "WHERE id = ? AND version = ?",
                         v, 9, &changed, NULL);
        if (rc < 0)
                return rc;
        if (!changed) { /* gone, or changed since it was read */
                struct review now;
                rc = find_on(conn, a->id, false, &now);
                return rc < 0 ? rc : -ESTALE;
        }
        if ((rc = find_on(conn, a->id, false, a)) < 0) /* the stored row: seq, marks, version */
                return rc;
        return move_summary(conn, a, review_counted(w->before), review_counted(a), w->change,
                            w->summary);
}

static int store_update(void *self, const struct review *before, struct review *after,
                        enum review_change change, struct rating_summary *ret_summary)
{
        struct write w = {before, after, change, ret_summary};
        return db_pool_in_transaction(self, update_tx, &w);
}

static int remove_tx(struct db_conn *conn, void *arg)
{
        struct write *w = arg;
        struct db_value v[] = {db_text(w->before->id), db_int(w->before->version)};
        uint64_t gone = 0;
        int rc = db_exec(conn, "DELETE FROM reviews WHERE id = ? AND version = ?", v, 2, &gone,
                         NULL);
        if (rc < 0)
                return rc;
        if (!gone) {
                struct review now;
                rc = find_on(conn, w->before->id, false, &now);
                return rc < 0 ? rc : -ESTALE;
        }
        if ((rc = db_exec(conn, "DELETE FROM review_marks WHERE review_id = ?", v, 1, NULL, NULL)) <
            0)
                return rc;
        return move_summary(conn, w->before, review_counted(w->before), 0, REVIEW_DELETED,
                            w->summary);
}

static int store_remove(void *self, const struct review *r, struct rating_summary *ret_summary)
{
        struct write w = {.before = r, .change = REVIEW_DELETED, .summary = ret_summary};
        return db_pool_in_transaction(self, remove_tx, &w);
}

struct mark {
        const char *review_id, *user_id;
        struct review *ret;
};

static int mark_tx(struct db_conn *conn, void *arg)
{
        struct mark *m = arg;
        struct db_value v[] = {db_text(m->review_id), db_text(m->user_id)};
        int rc = find_on(conn, m->review_id, true, m->ret);
        if (rc < 0)
                return rc;
        rc = db_exec(conn, "INSERT INTO review_marks (review_id, user_id) VALUES (?, ?)", v, 2,
                     NULL, NULL);
        if (rc < 0)
                return rc; /* -EEXIST: marked before */
        rc = db_exec(conn, "UPDATE reviews SET helpful = helpful + 1 WHERE id = ?", v, 1, NULL,
                     NULL);
        if (rc == 0)
                m->ret->helpful++;
        return rc;
}

static int store_mark_helpful(void *self, const char *review_id, const char *user_id,
                              struct review *ret)
{
        struct mark m = {review_id, user_id, ret};
        return db_pool_in_transaction(self, mark_tx, &m);
}

static int store_list(void *self, const struct review_query *q, struct review *ret, size_t *ret_n)
{
        char sql[700];
        struct db_value p[8];
        size_t n = 0;
        bool helpful = q->order == REVIEW_MOST_HELPFUL;
        bool from_start = !q->after_seq && !q->after_helpful;
        int len = snprintf(sql, sizeof(sql),
                           "SELECT " REVIEW_COLUMNS " FROM reviews WHERE book_id = ?");
        p[n++] = db_text(q->book_id);
        if (q->hidden_of) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len,
                                " AND (hidden = 0 OR customer_id = ?)");
                p[n++] = db_text(q->hidden_of);
        }
        if (!from_start && helpful) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len,
                                " AND (helpful < ? OR (helpful = ? AND seq < ?))");
                p[n++] = db_int(q->after_helpful);
                p[n++] = db_int(q->after_helpful);
                p[n++] = db_int(q->after_seq);
        } else if (!from_start) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND seq < ?");
                p[n++] = db_int(q->after_seq);
        }
        snprintf(sql + len, sizeof(sql) - (size_t)len, "%s LIMIT ?",
                 helpful ? " ORDER BY helpful DESC, seq DESC" : " ORDER BY seq DESC");
        p[n++] = db_int((int64_t)q->limit);
        struct db_rows rows = {
                .out = ret, .size = sizeof(*ret), .cap = q->limit, .read = read_review};
        int r = db_pool_query(self, sql, p, n, db_rows_cb, &rows);
        if (r == 0)
                *ret_n = rows.n;
        return r;
}

static int store_summary(void *self, const char *book_id, struct rating_summary *ret)
{
        struct db_conn *conn;
        int r = db_acquire(self, &conn);
        if (r < 0)
                return r;
        r = summary_on(conn, book_id, false, ret, NULL);
        db_release(conn);
        return r;
}

static const struct review_store_ops store_mysql_ops = {
        .insert = store_insert,
        .find = store_find,
        .update = store_update,
        .remove = store_remove,
        .mark_helpful = store_mark_helpful,
        .list = store_list,
        .summary = store_summary,
};

struct review_store review_store_mysql(struct db_pool *pool)
{
        return (struct review_store){.ops = &store_mysql_ops, .self = pool};
}
