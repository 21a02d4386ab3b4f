/* Prepared statements (cached per connection), result rows, transactions. */
#include "db-int.h"

#include <errmsg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_value db_text(const char *s)
{
        if (!s)
                return db_null();
        return (struct db_value){.type = DB_TEXT, .ptr = s, .len = strlen(s)};
}

/* A connection lost outside a transaction is opened again for the next
 * statement. Inside one it is not: the server rolled the transaction back
 * with the connection, and what follows must not run on its own in
 * autocommit; every statement up to the ROLLBACK fails as the first did. */
static int reopen_outside_transaction(struct db_conn *c)
{
        if (c->mysql)
                return 0;
        if (c->in_tx) {
                snprintf(c->error, sizeof(c->error),
                         "the connection was lost inside a transaction; it was rolled back");
                return -ECONNRESET;
        }
        return db_conn_ensure_open(c);
}

/* ---- statement cache --------------------------------------------------- */

static int stmt_fail(struct db_conn *c, MYSQL_STMT *stmt)
{
        return db_conn_fail(c, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
}

static MYSQL_STMT *prepare_new(struct db_conn *c, const char *sql, int *ret_err)
{
        MYSQL_STMT *stmt = mysql_stmt_init(c->mysql);
        if (!stmt) {
                *ret_err = -ENOMEM;
                return NULL;
        }
        my_bool update_max = 1; /* lets store_result size the result buffers */
        mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
        if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
                *ret_err = stmt_fail(c, stmt);
                mysql_stmt_close(stmt);
                return NULL;
        }
        return stmt;
}

static MYSQL_STMT *stmt_get(struct db_conn *c, const char *sql, int *ret_err)
{
        for (size_t i = 0; i < c->n_stmts; i++)
                if (!strcmp(c->stmts[i].sql, sql))
                        return c->stmts[i].stmt;
        MYSQL_STMT *stmt = prepare_new(c, sql, ret_err);
        if (!stmt && (*ret_err == -ECONNRESET) && !c->in_tx) {
                /* preparing has no side effects: reconnect and try once more */
                if (db_conn_ensure_open(c) == 0)
                        stmt = prepare_new(c, sql, ret_err);
        }
        if (!stmt)
                return NULL;
        char *copy = strdup(sql);
        if (!copy) {
                mysql_stmt_close(stmt);
                *ret_err = -ENOMEM;
                return NULL;
        }
        size_t slot = c->n_stmts;
        if (slot == DB_STMT_CACHE) { /* full: evict round-robin */
                slot = c->next_evict;
                c->next_evict = (c->next_evict + 1) % DB_STMT_CACHE;
                mysql_stmt_close(c->stmts[slot].stmt);
                free(c->stmts[slot].sql);
        } else {
                c->n_stmts++;
        }
        c->stmts[slot] = (struct db_cached_stmt){.sql = copy, .stmt = stmt};
        return stmt;
}

static void bind_params(MYSQL_BIND *b, const struct db_value *params, size_t n)
{
        memset(b, 0, n * sizeof(*b));
        for (size_t i = 0; i < n; i++) {
                const struct db_value *v = &params[i];
                switch (v->type) {
                case DB_INT64:
                        b[i].buffer_type = MYSQL_TYPE_LONGLONG;
                        b[i].buffer = (void *)&v->i;
                        break;
                case DB_DOUBLE:
                        b[i].buffer_type = MYSQL_TYPE_DOUBLE;
                        b[i].buffer = (void *)&v->d;
                        break;
                case DB_TEXT:
                case DB_BLOB:
                        b[i].buffer_type = v->type == DB_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
                        b[i].buffer = (void *)(v->ptr ? v->ptr : "");
                        b[i].buffer_length = (unsigned long)v->len;
                        break;
                case DB_NULL:
                        b[i].buffer_type = MYSQL_TYPE_NULL;
                        break;
                }
        }
}

/* Prepares (or reuses) and executes; the statement is left for its results. */
static int run(struct db_conn *c, const char *sql, const struct db_value *params, size_t n,
               MYSQL_STMT **ret_stmt)
{
        int r = reopen_outside_transaction(c);
        if (r < 0)
                return r;
        int err = 0;
        MYSQL_STMT *stmt = stmt_get(c, sql, &err);
        if (!stmt)
                return err;
        if (mysql_stmt_param_count(stmt) != n) {
                snprintf(c->error, sizeof(c->error), "statement takes %lu parameters, got %zu",
                         mysql_stmt_param_count(stmt), n);
                return -EINVAL;
        }
        MYSQL_BIND *binds = n ? calloc(n, sizeof(*binds)) : NULL;
        if (n && !binds)
                return -ENOMEM;
        if (n)
                bind_params(binds, params, n);
        if ((n && mysql_stmt_bind_param(stmt, binds)) || mysql_stmt_execute(stmt))
                r = stmt_fail(c, stmt);
        free(binds);
        if (r == 0)
                *ret_stmt = stmt;
        return r;
}

int db_exec(struct db_conn *c, const char *sql, const struct db_value *params, size_t n,
            uint64_t *ret_affected, uint64_t *ret_insert_id)
{
        MYSQL_STMT *stmt;
        int r = run(c, sql, params, n, &stmt);
        if (r < 0)
                return r;
        if (ret_affected)
                *ret_affected = mysql_stmt_affected_rows(stmt);
        if (ret_insert_id)
                *ret_insert_id = mysql_stmt_insert_id(stmt);
        mysql_stmt_free_result(stmt);
        return 0;
}

/* ---- rows -------------------------------------------------------------- */

struct db_row {
        size_t n;
        MYSQL_BIND *binds;
        int64_t *ints;
        double *doubles;
        char **texts;
        unsigned long *lengths;
        my_bool *nulls;
};

size_t db_row_columns(const struct db_row *row)
{
        return row->n;
}

bool db_row_is_null(const struct db_row *row, size_t col)
{
        return col >= row->n || row->nulls[col];
}

int64_t db_row_int64(const struct db_row *row, size_t col)
{
        if (db_row_is_null(row, col))
                return 0;
        if (row->texts[col])
                return strtoll(row->texts[col], NULL, 10);
        if (row->binds[col].buffer_type == MYSQL_TYPE_DOUBLE)
                return (int64_t)row->doubles[col];
        return row->ints[col];
}

double db_row_double(const struct db_row *row, size_t col)
{
        if (db_row_is_null(row, col))
                return 0;
        if (row->texts[col])
                return strtod(row->texts[col], NULL);
        if (row->binds[col].buffer_type == MYSQL_TYPE_LONGLONG)
                return (double)row->ints[col];
        return row->doubles[col];
}

const char *db_row_text(const struct db_row *row, size_t col, size_t *ret_len)
{
        if (db_row_is_null(row, col) || !row->texts[col]) {
                if (ret_len)
                        *ret_len = 0;
                return "";
        }
        if (ret_len)
                *ret_len = row->lengths[col];
        return row->texts[col];
}

int db_row_found(const struct db_row *row, void *found)
{
        (void)row;
        *(bool *)found = true;
        return 0;
}

int db_row_first_int64(const struct db_row *row, void *ret)
{
        *(int64_t *)ret = db_row_int64(row, 0);
        return 0;
}

int db_rows_cb(const struct db_row *row, void *userdata)
{
        struct db_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        void *element = (char *)rows->out + rows->n++ * rows->size;
        memset(element, 0, rows->size);
        rows->read(row, element);
        return 0;
}

static bool is_integer_type(enum enum_field_types t)
{
        return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
               t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR;
}

static void row_free(struct db_row *row)
{
        if (row->texts)
                for (size_t i = 0; i < row->n; i++)
                        free(row->texts[i]);
        free(row->texts);
        free(row->binds);
        free(row->ints);
        free(row->doubles);
        free(row->lengths);
        free(row->nulls);
}

/* Binds every column: integers as int64, floats as double, the rest as
 * text buffers sized from the stored result's max_length. */
static int row_bind(struct db_row *row, MYSQL_RES *meta)
{
        MYSQL_FIELD *fields = mysql_fetch_fields(meta);
        size_t n = row->n;
        row->binds = calloc(n, sizeof(*row->binds));
        row->ints = calloc(n, sizeof(*row->ints));
        row->doubles = calloc(n, sizeof(*row->doubles));
        row->texts = calloc(n, sizeof(*row->texts));
        row->lengths = calloc(n, sizeof(*row->lengths));
        row->nulls = calloc(n, sizeof(*row->nulls));
        if (!row->binds || !row->ints || !row->doubles || !row->texts || !row->lengths ||
            !row->nulls)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                MYSQL_BIND *b = &row->binds[i];
                b->length = &row->lengths[i];
                b->is_null = &row->nulls[i];
                if (is_integer_type(fields[i].type)) {
                        b->buffer_type = MYSQL_TYPE_LONGLONG;
                        b->buffer = &row->ints[i];
                        b->is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
                } else if (fields[i].type == MYSQL_TYPE_DOUBLE ||
                           fields[i].type == MYSQL_TYPE_FLOAT) {
                        b->buffer_type = MYSQL_TYPE_DOUBLE;
                        b->buffer = &row->doubles[i];
                } else {
                        size_t cap = fields[i].max_length + 1;
                        row->texts[i] = malloc(cap);
                        if (!row->texts[i])
                                return -ENOMEM;
                        b->buffer_type = MYSQL_TYPE_STRING;
                        b->buffer = row->texts[i];
                        b->buffer_length = (unsigned long)cap;
                }
        }
        return 0;
}

int db_query(struct db_conn *c, const char *sql, const struct db_value *params, size_t n,
             db_row_fn row_cb, void *userdata)
{
        MYSQL_STMT *stmt;
        int r = run(c, sql, params, n, &stmt);
        if (r < 0)
                return r;
        MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
        struct db_row row = {0};
        if (!meta) { /* not a SELECT */
                mysql_stmt_free_result(stmt);
                return 0;
        }
        if (mysql_stmt_store_result(stmt) != 0) {
                r = stmt_fail(c, stmt);
                goto out;
        }
        row.n = mysql_num_fields(meta);
        if ((r = row_bind(&row, meta)) < 0)
                goto out;
        if (mysql_stmt_bind_result(stmt, row.binds) != 0) {
                r = stmt_fail(c, stmt);
                goto out;
        }
        for (;;) {
                int f = mysql_stmt_fetch(stmt);
                if (f == MYSQL_NO_DATA)
                        break;
                if (f == 1) {
                        r = stmt_fail(c, stmt);
                        break;
                }
                /* buffers fit max_length, so a value is never cut short; if one
                 * were (MYSQL_DATA_TRUNCATED), its length says more than the
                 * buffer holds: refuse the row rather than write past it */
                if (f == MYSQL_DATA_TRUNCATED) {
                        snprintf(c->error, sizeof(c->error), "a value was longer than its buffer");
                        r = -EIO;
                        break;
                }
                for (size_t i = 0; i < row.n; i++)
                        if (row.texts[i] && !row.nulls[i]) {
                                size_t cap = row.binds[i].buffer_length;
                                if (row.lengths[i] >= cap) /* never past the buffer */
                                        row.lengths[i] = cap - 1;
                                row.texts[i][row.lengths[i]] = '\0';
                        }
                if ((r = row_cb(&row, userdata)) != 0)
                        break;
        }
out:
        row_free(&row);
        if (meta)
                mysql_free_result(meta);
        if (c->mysql) /* still open (a lost connection closes every statement) */
                mysql_stmt_free_result(stmt);
        return r;
}

int db_pool_exec(struct db_pool *pool, const char *sql, const struct db_value *params, size_t n,
                 uint64_t *ret_affected, uint64_t *ret_insert_id)
{
        struct db_conn *c;
        int r = db_acquire(pool, &c);
        if (r < 0)
                return r;
        r = db_exec(c, sql, params, n, ret_affected, ret_insert_id);
        db_release(c);
        return r;
}

int db_pool_query(struct db_pool *pool, const char *sql, const struct db_value *params, size_t n,
                  db_row_fn row_cb, void *userdata)
{
        struct db_conn *c;
        int r = db_acquire(pool, &c);
        if (r < 0)
                return r;
        r = db_query(c, sql, params, n, row_cb, userdata);
        db_release(c);
        return r;
}

/* ---- transactions ------------------------------------------------------ */

static int simple(struct db_conn *c, const char *sql)
{
        int r = reopen_outside_transaction(c);
        if (r < 0)
                return r;
        if (mysql_real_query(c->mysql, sql, strlen(sql)) != 0)
                return db_conn_fail(c, mysql_errno(c->mysql), mysql_error(c->mysql));
        return 0;
}

int db_begin(struct db_conn *c)
{
        int r = simple(c, "START TRANSACTION");
        if (r == 0)
                c->in_tx = true;
        return r;
}

/* A COMMIT sent on a connection that then failed may have committed: the
 * outcome is unknown. One that could not be sent (the transaction was lost
 * before) did not. */
int db_commit(struct db_conn *c)
{
        bool sent = c->mysql != NULL;
        int r = simple(c, "COMMIT");
        c->in_tx = false;
        if (r == 0 && atomic_load(&c->pool->lose_commit_answers) > 0 &&
            atomic_fetch_sub(&c->pool->lose_commit_answers, 1) > 0) {
                db_conn_close(c); /* committed; the answer "never arrived" */
                r = -ECONNRESET;
        }
        if (sent && r == -ECONNRESET) {
                snprintf(c->error, sizeof(c->error),
                         "the connection was lost during COMMIT; the outcome is unknown");
                return -DB_OUTCOME_UNKNOWN;
        }
        return r;
}

int db_rollback(struct db_conn *c)
{
        c->in_tx = false;
        if (!c->mysql) /* a lost connection rolled back already */
                return 0;
        return simple(c, "ROLLBACK");
}

/* The server rolled the whole transaction back: running it again is safe. */
static bool rolled_back_by_server(int r)
{
        return r == -ECONNRESET || r == -EDEADLK || r == -ETIMEDOUT;
}

int db_pool_in_transaction(struct db_pool *pool, int (*fn)(struct db_conn *conn, void *arg),
                           void *arg)
{
        int r = 0;
        for (int attempt = 0; attempt < DB_TX_ATTEMPTS; attempt++) {
                struct db_conn *c;
                if ((r = db_acquire(pool, &c)) < 0)
                        return r; /* nothing ran */
                if ((r = db_begin(c)) == 0) {
                        r = fn(c, arg);
                        if (r == 0)
                                r = db_commit(c);
                        else
                                db_rollback(c);
                }
                db_release(c);
                if (!rolled_back_by_server(r))
                        break;
        }
        return r;
}
