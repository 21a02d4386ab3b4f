/* libs/db: MariaDB/MySQL access for the adapters (Connector/C).
 *
 * A pool of connections per service; every statement is a prepared statement
 * with bound parameters (cached per connection), so SQL text never contains
 * user data. Migrations are the one exception: trusted .sql files run as
 * multi-statement text.
 *
 * Errors are negative errno values: -EEXIST duplicate key, -EDEADLK deadlock
 * (retry the transaction), -ETIMEDOUT lock wait or pool wait timed out,
 * -ECONNRESET / -ECONNREFUSED the server is gone or unreachable (the
 * connection is reopened on its next use), -EIO anything else;
 * db_conn_error() has the server's message for the log.
 *
 * Threading: the pool is thread-safe; a connection belongs to one thread
 * between db_acquire() and db_release(). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_config {
        const char *host;
        int port;
        const char *user;
        const char *password;
        const char *database;
        int pool_size; /* connections opened lazily, at most this many */
        int connect_timeout_s;
        int io_timeout_s;       /* read and write timeout per statement */
        int acquire_timeout_ms; /* wait for a free connection, then -ETIMEDOUT */
};

/* Reads PREFIX_HOST, _PORT, _USER, _PASSWORD, _NAME, _POOL_SIZE,
 * _CONNECT_TIMEOUT_S, _IO_TIMEOUT_S, _ACQUIRE_TIMEOUT_MS (e.g. prefix
 * "BOOKSTORE_CATALOG_DB"). -EINVAL with a message naming the variable. */
int db_config_from_env(struct db_config *cfg, const char *prefix, const char *default_database,
                       char *err, size_t err_len);

struct db_pool;
struct db_conn;

int db_pool_new(struct db_pool **ret_pool, const struct db_config *cfg);
/* Accepts NULL. Every connection must have been released. */
void db_pool_free(struct db_pool *pool);

int db_acquire(struct db_pool *pool, struct db_conn **ret_conn);
/* Rolls back an open transaction; accepts NULL. */
void db_release(struct db_conn *conn);

/* Round trip to the server: 0 when reachable (used for health). */
int db_pool_ping(struct db_pool *pool);

struct db_pool_stats {
        int open;    /* connections currently open */
        int in_use;  /* acquired right now */
        int waiting; /* threads waiting in db_acquire */
};
void db_pool_stats(struct db_pool *pool, struct db_pool_stats *ret);

/* The last error message of this connection, "" if none. */
const char *db_conn_error(const struct db_conn *conn);

/* ---- statements -------------------------------------------------------- */

enum db_type { DB_NULL, DB_INT64, DB_DOUBLE, DB_TEXT, DB_BLOB };

struct db_value {
        enum db_type type;
        int64_t i;
        double d;
        const void *ptr; /* TEXT/BLOB: borrowed */
        size_t len;
};

static inline struct db_value db_int(int64_t i)
{
        return (struct db_value){.type = DB_INT64, .i = i};
}
static inline struct db_value db_double(double d)
{
        return (struct db_value){.type = DB_DOUBLE, .d = d};
}
struct db_value db_text(const char *s); /* NULL s gives SQL NULL */
static inline struct db_value db_blob(const void *p, size_t len)
{
        return (struct db_value){.type = DB_BLOB, .ptr = p, .len = len};
}
static inline struct db_value db_null(void)
{
        return (struct db_value){.type = DB_NULL};
}

/* One result row, valid during the callback only. */
struct db_row;
size_t db_row_columns(const struct db_row *row);
bool db_row_is_null(const struct db_row *row, size_t col);
int64_t db_row_int64(const struct db_row *row, size_t col); /* 0 for NULL */
double db_row_double(const struct db_row *row, size_t col);
/* NUL-terminated; "" for NULL; ret_len may be NULL. */
const char *db_row_text(const struct db_row *row, size_t col, size_t *ret_len);

/* Return 0 to continue, anything else to stop (db_query then returns it). */
typedef int (*db_row_fn)(const struct db_row *row, void *userdata);
/* A db_row_fn that sets the bool userdata points at: "is there a row?". */
int db_row_found(const struct db_row *row, void *found);
/* A db_row_fn that stores the row's first column in the int64_t userdata points at. */
int db_row_first_int64(const struct db_row *row, void *ret);
/* Rows collected into an array: db_rows_cb (a db_row_fn, with a struct
 * db_rows as userdata) zeroes the next element of `size` bytes and has
 * read() fill it, up to cap rows (later ones are skipped); n counts them. */
struct db_rows {
        void *out;
        size_t size, cap, n;
        void (*read)(const struct db_row *row, void *element);
};
int db_rows_cb(const struct db_row *row, void *rows);

/* INSERT/UPDATE/DELETE/DDL. ret_affected and ret_insert_id may be NULL. */
int db_exec(struct db_conn *conn, const char *sql, const struct db_value *params, size_t n_params,
            uint64_t *ret_affected, uint64_t *ret_insert_id);
/* SELECT: calls row_cb for every row. */
int db_query(struct db_conn *conn, const char *sql, const struct db_value *params, size_t n_params,
             db_row_fn row_cb, void *userdata);

/* One statement on a connection taken from the pool for it (no transaction). */
int db_pool_exec(struct db_pool *pool, const char *sql, const struct db_value *params,
                 size_t n_params, uint64_t *ret_affected, uint64_t *ret_insert_id);
int db_pool_query(struct db_pool *pool, const char *sql, const struct db_value *params,
                  size_t n_params, db_row_fn row_cb, void *userdata);

int db_begin(struct db_conn *conn);
int db_commit(struct db_conn *conn);
int db_rollback(struct db_conn *conn);

/* The database's clock in ms since the epoch, as SQL: leases compare times
 * on one clock, not on each replica's. */
#define DB_NOW_MS "CAST(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000 AS SIGNED)"

/* The errno (negated, like the others) of a COMMIT whose answer was lost
 * with the connection: the transaction may or may not have committed. Not a
 * success and not safe to retry blindly; callers answer "outcome unknown"
 * (gRPC UNKNOWN) and whoever asked finds out with an idempotent repeat. */
#define DB_OUTCOME_UNKNOWN EINPROGRESS

/* Runs fn on one pooled connection inside a transaction: committed when fn
 * returns 0, rolled back otherwise (fn's result is returned). When the
 * transaction was lost before COMMIT was sent (the connection dropped:
 * -ECONNRESET), or the server chose it as a deadlock victim (-EDEADLK) or a
 * lock wait timed out (-ETIMEDOUT), the server rolled it back and fn runs
 * again from the start on a fresh transaction, up to DB_TX_ATTEMPTS times
 * in all; fn must therefore only touch the database and its own outputs.
 * A COMMIT without an answer is -DB_OUTCOME_UNKNOWN and never re-run. */
enum { DB_TX_ATTEMPTS = 3 };

/* Fault injection for tests and drills: the next n COMMITs on this pool are
 * applied and then answered as lost (-DB_OUTCOME_UNKNOWN, the connection
 * closed), as when the network drops right after the server committed. */
void db_pool_lose_commit_answers(struct db_pool *pool, int n);
int db_pool_in_transaction(struct db_pool *pool, int (*fn)(struct db_conn *conn, void *arg),
                           void *arg);

/* ---- migrations -------------------------------------------------------- */

struct db_migration {
        const char *version; /* sorts in apply order, e.g. "0001_create_books" */
        const char *sql;     /* one or more statements */
};

/* Applies, in order, the migrations not yet recorded in schema_migrations,
 * under a named lock so concurrent replicas apply each one exactly once.
 * *ret_applied counts the new ones. A failing migration is not recorded and
 * stops the run with its error. */
int db_migrate(struct db_pool *pool, const struct db_migration *list, size_t n, int *ret_applied,
               char *err, size_t err_len);

/* db_migrate, retried every second while the database cannot be reached,
 * for up to wait_s seconds (a service may start before its database). Logs
 * the outcome. */
int db_migrate_wait(struct db_pool *pool, const struct db_migration *list, size_t n, long wait_s,
                    char *err, size_t err_len);

/* db_pool_ping with the signature of a health probe (rpc_health_probe_fn). */
int db_health_probe(void *pool);

/* Loads DIR/ *.sql (sorted by name; version = name without .sql). Free with
 * db_migrations_free. */
int db_migrations_load_dir(const char *dir, struct db_migration **ret_list, size_t *ret_n);
void db_migrations_free(struct db_migration *list, size_t n);
