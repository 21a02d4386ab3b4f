/* libs/db transactions when the connection is lost, against a real MariaDB:
 * a second session KILLs the service's connection between two statements of
 * a transaction, in the middle of one, and just before COMMIT. Two shapes of
 * transaction are driven, ReserveStock's (lock a stock row, insert the
 * reservation, raise `reserved`) and an outbox write (an order, its lines,
 * its event). Whatever happens, no partial effect is ever visible: either
 * the whole transaction or none of it, and a body that lost its connection
 * before COMMIT ran again from the start on a new connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contract-db.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char schema[64];
static struct db_pool *admin; /* the second session: the killer and the observer */

static struct db_config config(const char *database, int pool_size)
{
        return (struct db_config){
                .host = contract_env("BOOKSTORE_MYSQL_HOST"),
                .port = atoi(contract_env("BOOKSTORE_MYSQL_PORT")),
                .user = contract_env("BOOKSTORE_MYSQL_USER"),
                .password = contract_env("BOOKSTORE_MYSQL_PASSWORD"),
                .database = database,
                .pool_size = pool_size,
                .connect_timeout_s = 3,
                .io_timeout_s = 10,
                .acquire_timeout_ms = 2000,
        };
}

static const char *const tables[] = {
        "CREATE TABLE stock (book_id VARCHAR(32) PRIMARY KEY, on_hand BIGINT NOT NULL, "
        "reserved BIGINT NOT NULL, CHECK (reserved <= on_hand)) ENGINE=InnoDB",
        "CREATE TABLE reservations (order_id VARCHAR(32) PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE reservation_items (order_id VARCHAR(32) NOT NULL, book_id VARCHAR(32) NOT "
        "NULL, quantity BIGINT NOT NULL, PRIMARY KEY (order_id, book_id)) ENGINE=InnoDB",
        "CREATE TABLE orders (id VARCHAR(32) PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE order_items (order_id VARCHAR(32) NOT NULL, position INT NOT NULL, "
        "PRIMARY KEY (order_id, position)) ENGINE=InnoDB",
        "CREATE TABLE outbox (seq BIGINT AUTO_INCREMENT PRIMARY KEY, order_id VARCHAR(32) NOT "
        "NULL) ENGINE=InnoDB",
};

static int setup(void **state)
{
        (void)state;
        struct db_config c = config("bookstore_test", 2);
        char sql[128];
        snprintf(schema, sizeof(schema), "bookstore_tx%d", (int)getpid());
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", schema);
        if (db_pool_new(&admin, &c) < 0 || contract_exec(admin, sql) < 0)
                return -1;
        db_pool_free(admin);
        c = config(schema, 2);
        if (db_pool_new(&admin, &c) < 0)
                return -1;
        for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
                if (contract_exec(admin, tables[i]) < 0)
                        return -1;
        return contract_exec(admin, "INSERT INTO stock VALUES ('book-1', 1000000, 0)");
}

static int teardown(void **state)
{
        (void)state;
        contract_schema_drop(admin, schema);
        return 0;
}

/* ---- the second session ------------------------------------------------ */

static int64_t scalar(const char *sql, const char *key)
{
        int64_t n = contract_scalar(admin, sql, key);
        assert_true(n != INT64_MIN);
        return n;
}

static void kill_connection(int64_t id)
{
        struct db_value v = db_int(id);
        assert_int_equal(db_pool_exec(admin, "KILL CONNECTION ?", &v, 1, NULL, NULL), 0);
}

/* ---- the transactions, with a point where the test strikes ------------- */

enum strike {
        STRIKE_NONE,
        STRIKE_BETWEEN,       /* after the first statement, before the second */
        STRIKE_DURING,        /* while a statement runs */
        STRIKE_BEFORE_COMMIT, /* after the last statement, before COMMIT is sent */
};

struct body {
        const char *key; /* order id */
        enum strike strike;
        int runs;           /* how often the body started */
        int64_t connection; /* CONNECTION_ID() of the first run */
};

/* The first run finds its connection and, at the chosen point, has it killed;
 * later runs (on a new connection) go through. */
static int strike_at(struct db_conn *c, struct body *b, enum strike here)
{
        if (b->runs != 1 || b->strike != here)
                return 0;
        kill_connection(b->connection);
        return 0;
}

struct killer {
        int64_t id;
        int after_ms;
};

static void *kill_later(void *arg)
{
        struct killer *k = arg;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = k->after_ms * 1000000L};
        nanosleep(&ts, NULL);
        kill_connection(k->id);
        return NULL;
}

/* A statement the test can kill in the middle of: SLEEP is interrupted by
 * KILL CONNECTION like any long statement. */
static int long_statement(struct db_conn *c, struct body *b)
{
        if (b->runs != 1 || b->strike != STRIKE_DURING)
                return 0;
        pthread_t t;
        struct killer k = {.id = b->connection, .after_ms = 200};
        assert_int_equal(pthread_create(&t, NULL, kill_later, &k), 0);
        int r = db_exec(c, "DO SLEEP(5)", NULL, 0, NULL, NULL);
        pthread_join(t, NULL);
        return r;
}

static int begin_run(struct db_conn *c, struct body *b)
{
        if (++b->runs == 1)
                return db_query(c, "SELECT CONNECTION_ID()", NULL, 0, db_row_first_int64,
                                &b->connection);
        return 0;
}

/* ReserveStock's shape: the stock row is locked and read, the reservation
 * inserted, `reserved` written from what was read under the lock. */
static int reserve_body(struct db_conn *c, void *arg)
{
        struct body *b = arg;
        int64_t reserved = -1;
        struct db_value book = db_text("book-1");
        struct db_value order = db_text(b->key);
        struct db_value item[] = {db_text(b->key), db_text("book-1"), db_int(3)};
        int r;
        if ((r = begin_run(c, b)) < 0 ||
            (r = db_query(c, "SELECT reserved FROM stock WHERE book_id = ? FOR UPDATE", &book, 1,
                          db_row_first_int64, &reserved)) < 0 ||
            (r = strike_at(c, b, STRIKE_BETWEEN)) < 0 ||
            (r = db_exec(c, "INSERT INTO reservations (order_id) VALUES (?)", &order, 1, NULL,
                         NULL)) < 0 ||
            (r = long_statement(c, b)) < 0 ||
            (r = db_exec(c,
                         "INSERT INTO reservation_items (order_id, book_id, quantity) "
                         "VALUES (?, ?, ?)",
                         item, 3, NULL, NULL)) < 0)
                return r;
        struct db_value set[] = {db_int(reserved + 3), db_text("book-1")};
        if ((r = db_exec(c, "UPDATE stock SET reserved = ? WHERE book_id = ?", set, 2, NULL,
                         NULL)) < 0)
                return r;
        return strike_at(c, b, STRIKE_BEFORE_COMMIT);
}

/* The outbox's shape: an order, its two lines and its event. */
static int outbox_body(struct db_conn *c, void *arg)
{
        struct body *b = arg;
        struct db_value order = db_text(b->key);
        struct db_value lines[][2] = {{db_text(b->key), db_int(0)}, {db_text(b->key), db_int(1)}};
        int r;
        if ((r = begin_run(c, b)) < 0 ||
            (r = db_exec(c, "INSERT INTO orders (id) VALUES (?)", &order, 1, NULL, NULL)) < 0 ||
            (r = strike_at(c, b, STRIKE_BETWEEN)) < 0 ||
            (r = db_exec(c, "INSERT INTO order_items (order_id, position) VALUES (?, ?)", lines[0],
                         2, NULL, NULL)) < 0 ||
            (r = long_statement(c, b)) < 0 ||
            (r = db_exec(c, "INSERT INTO order_items (order_id, position) VALUES (?, ?)", lines[1],
                         2, NULL, NULL)) < 0 ||
            (r = db_exec(c, "INSERT INTO outbox (order_id) VALUES (?)", &order, 1, NULL, NULL)) < 0)
                return r;
        return strike_at(c, b, STRIKE_BEFORE_COMMIT);
}

/* ---- what the second session sees ------------------------------------- */

/* Reservations and stock agree exactly: `reserved` is the sum of the items. */
static void reservations_are_whole(void)
{
        int64_t reserved = scalar("SELECT reserved FROM stock WHERE book_id = 'book-1'", NULL);
        int64_t items = scalar("SELECT COALESCE(SUM(quantity), 0) FROM reservation_items", NULL);
        int64_t headless = scalar("SELECT COUNT(*) FROM reservation_items i WHERE NOT EXISTS "
                                  "(SELECT 1 FROM reservations r WHERE r.order_id = i.order_id)",
                                  NULL);
        int64_t empty = scalar("SELECT COUNT(*) FROM reservations r WHERE NOT EXISTS "
                               "(SELECT 1 FROM reservation_items i WHERE i.order_id = r.order_id)",
                               NULL);
        assert_int_equal(reserved, items);
        assert_int_equal(headless, 0);
        assert_int_equal(empty, 0);
}

/* Every order has both its lines and exactly one event, and nothing else
 * exists without its order. */
static void orders_are_whole(void)
{
        assert_int_equal(scalar("SELECT COUNT(*) FROM orders o WHERE (SELECT COUNT(*) FROM "
                                "order_items i WHERE i.order_id = o.id) <> 2 OR (SELECT COUNT(*) "
                                "FROM outbox e WHERE e.order_id = o.id) <> 1",
                                NULL),
                         0);
        assert_int_equal(scalar("SELECT COUNT(*) FROM order_items i WHERE NOT EXISTS (SELECT 1 "
                                "FROM orders o WHERE o.id = i.order_id)",
                                NULL),
                         0);
        assert_int_equal(scalar("SELECT COUNT(*) FROM outbox e WHERE NOT EXISTS (SELECT 1 FROM "
                                "orders o WHERE o.id = e.order_id)",
                                NULL),
                         0);
}

/* Runs one body on a pool of its own (an empty statement cache, so the
 * statement after the strike is prepared on the dead connection -- the path
 * that used to reconnect and go on in autocommit). */
static int run_body(int (*fn)(struct db_conn *, void *), struct body *b)
{
        struct db_pool *pool;
        struct db_config c = config(schema, 1);
        assert_int_equal(db_pool_new(&pool, &c), 0);
        int r = db_pool_in_transaction(pool, fn, b);
        db_pool_free(pool);
        return r;
}

static void a_loss_before_commit_reruns_the_whole_transaction(enum strike strike, int seq)
{
        char reservation[32], order[32];
        snprintf(reservation, sizeof(reservation), "r-%d-%d", strike, seq);
        snprintf(order, sizeof(order), "o-%d-%d", strike, seq);
        struct body b = {.key = reservation, .strike = strike};
        assert_int_equal(run_body(reserve_body, &b), 0);
        assert_int_equal(b.runs, strike == STRIKE_NONE ? 1 : 2);
        assert_int_equal(
                scalar("SELECT COUNT(*) FROM reservations WHERE order_id = ?", reservation), 1);
        reservations_are_whole();
        b = (struct body){.key = order, .strike = strike};
        assert_int_equal(run_body(outbox_body, &b), 0);
        assert_int_equal(b.runs, strike == STRIKE_NONE ? 1 : 2);
        assert_int_equal(scalar("SELECT COUNT(*) FROM orders WHERE id = ?", order), 1);
        orders_are_whole();
}

static void nothing_struck_commits_once(void **state)
{
        (void)state;
        a_loss_before_commit_reruns_the_whole_transaction(STRIKE_NONE, 1);
}

static void killed_between_statements(void **state)
{
        (void)state;
        for (int i = 0; i < 3; i++)
                a_loss_before_commit_reruns_the_whole_transaction(STRIKE_BETWEEN, i);
}

static void killed_during_a_statement(void **state)
{
        (void)state;
        a_loss_before_commit_reruns_the_whole_transaction(STRIKE_DURING, 1);
}

/* COMMIT goes to a connection that is gone. The client cannot tell "killed
 * before COMMIT arrived" from "committed, answer lost": the outcome is
 * unknown, and reported so; it is not retried (that could apply it twice)
 * and not taken for success. Here it was killed first, so nothing is there. */
static void killed_just_before_commit(void **state)
{
        (void)state;
        struct body b = {.key = "r-commit", .strike = STRIKE_BEFORE_COMMIT};
        assert_int_equal(run_body(reserve_body, &b), -DB_OUTCOME_UNKNOWN);
        assert_int_equal(b.runs, 1);
        assert_int_equal(scalar("SELECT COUNT(*) FROM reservations WHERE order_id = ?", "r-commit"),
                         0);
        reservations_are_whole();
        b = (struct body){.key = "o-commit", .strike = STRIKE_BEFORE_COMMIT};
        assert_int_equal(run_body(outbox_body, &b), -DB_OUTCOME_UNKNOWN);
        assert_int_equal(b.runs, 1);
        assert_int_equal(scalar("SELECT COUNT(*) FROM orders WHERE id = ?", "o-commit"), 0);
        orders_are_whole();
}

/* On a connection held by hand (db_begin ... db_commit), a statement after
 * the loss is refused instead of running in autocommit on a new connection,
 * and COMMIT reports the transaction lost. */
static void a_held_transaction_never_continues_on_a_new_connection(void **state)
{
        (void)state;
        struct db_pool *pool;
        struct db_config c = config(schema, 1);
        assert_int_equal(db_pool_new(&pool, &c), 0);
        struct db_conn *conn;
        assert_int_equal(db_acquire(pool, &conn), 0);
        int64_t id = 0;
        assert_int_equal(db_query(conn, "SELECT CONNECTION_ID()", NULL, 0, db_row_first_int64, &id),
                         0);
        assert_int_equal(db_begin(conn), 0);
        struct db_value order = db_text("o-held");
        assert_int_equal(db_exec(conn, "INSERT INTO orders (id) VALUES (?)", &order, 1, NULL, NULL),
                         0);
        kill_connection(id);
        struct db_value line[] = {db_text("o-held"), db_int(0)};
        assert_int_equal(db_exec(conn, "INSERT INTO order_items (order_id, position) VALUES (?, ?)",
                                 line, 2, NULL, NULL),
                         -ECONNRESET);
        assert_int_equal(
                db_exec(conn, "INSERT INTO outbox (order_id) VALUES (?)", &order, 1, NULL, NULL),
                -ECONNRESET);
        assert_int_equal(db_commit(conn), -ECONNRESET);
        db_release(conn);
        assert_int_equal(scalar("SELECT COUNT(*) FROM order_items WHERE order_id = ?", "o-held"),
                         0);
        assert_int_equal(scalar("SELECT COUNT(*) FROM outbox WHERE order_id = ?", "o-held"), 0);
        /* the next user of the connection gets a working one */
        assert_int_equal(db_acquire(pool, &conn), 0);
        assert_int_equal(db_query(conn, "SELECT CONNECTION_ID()", NULL, 0, db_row_first_int64, &id),
                         0);
        db_release(conn);
        db_pool_free(pool);
        orders_are_whole();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(nothing_struck_commits_once),
                cmocka_unit_test(killed_between_statements),
                cmocka_unit_test(killed_during_a_statement),
                cmocka_unit_test(killed_just_before_commit),
                cmocka_unit_test(a_held_transaction_never_continues_on_a_new_connection),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
