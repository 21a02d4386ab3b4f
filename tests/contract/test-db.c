/* libs/db against a real MariaDB started by scripts/deps.sh: statements and
 * types, errors, transactions, pool limits, reconnects and migrations. Each
 * run works in a schema of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contract-env.h"
#include "db/db.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct db_config base;
static char schema[64];
static struct db_pool *pool; /* on the test schema, migrated */

static struct db_config config_for(const char *database, int pool_size)
{
        struct db_config c = base;
        c.database = database;
        c.pool_size = pool_size;
        return c;
}

static int exec_sql(struct db_pool *p, const char *sql)
{
        struct db_conn *c;
        int r = db_acquire(p, &c);
        if (r == 0)
                r = db_exec(c, sql, NULL, 0, NULL, NULL);
        db_release(c);
        return r;
}

static int setup(void **state)
{
        base = (struct db_config){
                .host = contract_env("BOOKSTORE_MYSQL_HOST"),
                .port = atoi(contract_env("BOOKSTORE_MYSQL_PORT")),
                .user = contract_env("BOOKSTORE_MYSQL_USER"),
                .password = contract_env("BOOKSTORE_MYSQL_PASSWORD"),
                .connect_timeout_s = 3,
                .io_timeout_s = 10,
                .acquire_timeout_ms = 300,
        };
        snprintf(schema, sizeof(schema), "bookstore_t%d", (int)getpid());
        struct db_pool *admin;
        struct db_config ac = config_for("bookstore_test", 1);
        char sql[128];
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s CHARACTER SET utf8mb4", schema);
        if (db_pool_new(&admin, &ac) < 0 || exec_sql(admin, sql) < 0)
                return -1;
        db_pool_free(admin);
        struct db_config pc = config_for(schema, 4);
        return db_pool_new(&pool, &pc);
}

static int teardown(void **state)
{
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE %s", schema);
        exec_sql(pool, sql);
        db_pool_free(pool);
        return 0;
}

static void migrations_apply_once_in_order(void **state)
{
        struct db_migration *list;
        size_t n;
        assert_int_equal(db_migrations_load_dir(BOOKSTORE_CONTRACT_DIR "/migrations-ok", &list, &n),
                         0);
        assert_int_equal(n, 2);
        assert_string_equal(list[0].version, "0001_create_books");
        int applied = -1;
        char err[256] = "";
        assert_int_equal(db_migrate(pool, list, n, &applied, err, sizeof(err)), 0);
        assert_int_equal(applied, 2);
        assert_int_equal(db_migrate(pool, list, n, &applied, err, sizeof(err)), 0);
        assert_int_equal(applied, 0); /* already recorded */
        db_migrations_free(list, n);

        assert_int_equal(
                db_migrations_load_dir(BOOKSTORE_CONTRACT_DIR "/migrations-bad", &list, &n), 0);
        assert_int_not_equal(db_migrate(pool, list, n, &applied, err, sizeof(err)), 0);
        assert_non_null(strstr(err, "migration 0003_broken failed"));
        assert_non_null(strstr(err, "no_such_table"));
        db_migrations_free(list, n);
        assert_int_equal(db_migrations_load_dir("/nonexistent-dir", &list, &n), -ENOENT);
}

static int count_cb(const struct db_row *row, void *userdata)
{
        (*(int *)userdata)++;
        return 0;
}

struct book {
        int64_t id, price;
        double rating;
        bool rating_null;
        char title[600];
        size_t notes_len;
};

static int book_cb(const struct db_row *row, void *userdata)
{
        struct book *b = userdata;
        assert_int_equal(db_row_columns(row), 5);
        b->id = db_row_int64(row, 0);
        snprintf(b->title, sizeof(b->title), "%s", db_row_text(row, 1, NULL));
        b->price = db_row_int64(row, 2);
        b->rating_null = db_row_is_null(row, 3);
        b->rating = db_row_double(row, 3);
        db_row_text(row, 4, &b->notes_len);
        return 0;
}

static void statements_round_trip_every_type(void **state)
{
        struct db_conn *c;
        assert_int_equal(db_acquire(pool, &c), 0);
        char notes[5000];
        memset(notes, 'n', sizeof(notes) - 1);
        notes[sizeof(notes) - 1] = '\0';
        const char *title = "Der Zauberberg — \"quoted\" ' and; DROP TABLE books";
        struct db_value params[] = {db_text("9780140449136"), db_text(title), db_int(1999),
                                    db_double(4.5), db_text(notes)};
        uint64_t affected = 0, id = 0;
        assert_int_equal(db_exec(c,
                                 "INSERT INTO books (isbn, title, price_units, rating, notes) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 params, 5, &affected, &id),
                         0);
        assert_int_equal(affected, 1);
        assert_true(id > 0);
        struct db_value nulls[] = {db_text("9780140449137"), db_text("Null rating"), db_int(-5),
                                   db_null(), db_text(NULL)};
        assert_int_equal(db_exec(c,
                                 "INSERT INTO books (isbn, title, price_units, rating, notes) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 nulls, 5, NULL, NULL),
                         0);

        struct book b = {0};
        struct db_value key = db_int((int64_t)id);
        assert_int_equal(
                db_query(c, "SELECT id, title, price_units, rating, notes FROM books WHERE id = ?",
                         &key, 1, book_cb, &b),
                0);
        assert_int_equal(b.id, (int64_t)id);
        assert_string_equal(b.title, title);
        assert_int_equal(b.price, 1999);
        assert_false(b.rating_null);
        assert_true(b.rating > 4.49 && b.rating < 4.51);
        assert_int_equal(b.notes_len, sizeof(notes) - 1); /* longer than any default buffer */

        struct db_value isbn = db_text("9780140449137");
        assert_int_equal(
                db_query(c,
                         "SELECT id, title, price_units, rating, notes FROM books WHERE isbn = ?",
                         &isbn, 1, book_cb, &b),
                0);
        assert_true(b.rating_null);
        assert_int_equal(b.price, -5);
        assert_int_equal(b.notes_len, 0);

        /* duplicate key -> -EEXIST; the connection stays usable */
        assert_int_equal(db_exec(c, "INSERT INTO books (isbn, title, price_units) VALUES (?, ?, ?)",
                                 params, 3, NULL, NULL),
                         -EEXIST);
        assert_non_null(strstr(db_conn_error(c), "Duplicate"));
        /* wrong parameter count is caught before the server */
        assert_int_equal(db_exec(c, "DELETE FROM books WHERE id = ?", NULL, 0, NULL, NULL),
                         -EINVAL);
        int rows = 0;
        assert_int_equal(db_query(c, "SELECT id FROM books", NULL, 0, count_cb, &rows), 0);
        assert_int_equal(rows, 2);
        db_release(c);
}

static void transactions_commit_and_roll_back(void **state)
{
        struct db_conn *c, *other;
        assert_int_equal(db_acquire(pool, &c), 0);
        assert_int_equal(db_acquire(pool, &other), 0);
        struct db_value p[] = {db_text("9780000000001"), db_text("tx"), db_int(1)};
        const char *ins = "INSERT INTO books (isbn, title, price_units) VALUES (?, ?, ?)";
        struct db_value k = db_text("9780000000001");
        const char *sel = "SELECT id FROM books WHERE isbn = ?";
        int rows;

        assert_int_equal(db_begin(c), 0);
        assert_int_equal(db_exec(c, ins, p, 3, NULL, NULL), 0);
        rows = 0;
        db_query(other, sel, &k, 1, count_cb, &rows);
        assert_int_equal(rows, 0); /* not visible before commit */
        assert_int_equal(db_rollback(c), 0);
        rows = 0;
        db_query(c, sel, &k, 1, count_cb, &rows);
        assert_int_equal(rows, 0);

        assert_int_equal(db_begin(c), 0);
        assert_int_equal(db_exec(c, ins, p, 3, NULL, NULL), 0);
        assert_int_equal(db_commit(c), 0);
        rows = 0;
        db_query(other, sel, &k, 1, count_cb, &rows);
        assert_int_equal(rows, 1);

        /* releasing a connection mid-transaction rolls it back */
        struct db_value p2[] = {db_text("9780000000002"), db_text("abandoned"), db_int(1)};
        assert_int_equal(db_begin(c), 0);
        assert_int_equal(db_exec(c, ins, p2, 3, NULL, NULL), 0);
        db_release(c);
        struct db_value k2 = db_text("9780000000002");
        rows = 0;
        db_query(other, sel, &k2, 1, count_cb, &rows);
        assert_int_equal(rows, 0);
        db_release(other);
}

static void pool_waits_then_times_out(void **state)
{
        struct db_conn *held[4];
        for (int i = 0; i < 4; i++)
                assert_int_equal(db_acquire(pool, &held[i]), 0);
        struct db_pool_stats st;
        db_pool_stats(pool, &st);
        assert_int_equal(st.in_use, 4);
        assert_int_equal(st.open, 4);
        struct db_conn *extra;
        assert_int_equal(db_acquire(pool, &extra), -ETIMEDOUT);
        db_release(held[0]);
        assert_int_equal(db_acquire(pool, &extra), 0);
        db_release(extra);
        for (int i = 1; i < 4; i++)
                db_release(held[i]);
        db_pool_stats(pool, &st);
        assert_int_equal(st.in_use, 0);
}

static void a_killed_connection_is_reopened(void **state)
{
        struct db_conn *c, *killer;
        assert_int_equal(db_acquire(pool, &c), 0);
        assert_int_equal(db_acquire(pool, &killer), 0);
        int64_t victim = 0;
        assert_int_equal(
                db_query(c, "SELECT CONNECTION_ID()", NULL, 0, db_row_first_int64, &victim), 0);
        struct db_value v = db_int(victim);
        assert_int_equal(db_exec(killer, "KILL CONNECTION ?", &v, 1, NULL, NULL), 0);
        /* the statement is cached; executing it finds the connection gone */
        int64_t again = 0;
        int r = db_query(c, "SELECT CONNECTION_ID()", NULL, 0, db_row_first_int64, &again);
        assert_true(r == -ECONNRESET || r == 0);
        if (r == -ECONNRESET) /* reopened on next use */
                assert_int_equal(
                        db_query(c, "SELECT CONNECTION_ID()", NULL, 0, db_row_first_int64, &again),
                        0);
        assert_true(again != victim);
        db_release(c);
        db_release(killer);
        assert_int_equal(db_pool_ping(pool), 0);
}

/* Every connection runs in UTC, whatever the server's zone: DB_NOW_MS
 * (leases, deadlines) must not jump with a DST change. */
static void every_connection_is_in_utc_and_db_now_is_the_epoch(void **state)
{
        struct db_conn *c[2];
        for (int i = 0; i < 2; i++) {
                assert_int_equal(db_acquire(pool, &c[i]), 0);
                int64_t utc = -1;
                assert_int_equal(db_query(c[i], "SELECT @@session.time_zone = '+00:00'", NULL, 0,
                                          db_row_first_int64, &utc),
                                 0);
                assert_int_equal(utc, 1);
                int64_t now_ms = 0;
                assert_int_equal(
                        db_query(c[i], "SELECT " DB_NOW_MS, NULL, 0, db_row_first_int64, &now_ms),
                        0);
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int64_t mine = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
                assert_true(now_ms > mine - 5000 && now_ms < mine + 5000);
        }
        for (int i = 0; i < 2; i++)
                db_release(c[i]);
}

static void unreachable_server_is_reported(void **state)
{
        struct db_config cfg = config_for(schema, 1);
        cfg.port = 1; /* nothing listens there */
        struct db_pool *p;
        assert_int_equal(db_pool_new(&p, &cfg), 0);
        assert_int_equal(db_pool_ping(p), -ECONNREFUSED);
        db_pool_free(p);
        cfg = config_for(schema, 1);
        cfg.password = "wrong";
        assert_int_equal(db_pool_new(&p, &cfg), 0);
        assert_int_equal(db_pool_ping(p), -EACCES);
        db_pool_free(p);
}

static void *migrate_thread(void *arg)
{
        struct db_pool *p;
        struct db_config cfg = config_for(schema, 1);
        static const struct db_migration race[] = {
                {"0100_counter",
                 "CREATE TABLE counter (n INT NOT NULL); INSERT INTO counter VALUES (1)"},
        };
        int applied = -1;
        char err[256];
        if (db_pool_new(&p, &cfg) == 0 && db_migrate(p, race, 1, &applied, err, sizeof(err)) < 0)
                applied = -1;
        db_pool_free(p);
        return (void *)(intptr_t)applied;
}

static void concurrent_migrators_apply_each_migration_once(void **state)
{
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, migrate_thread, NULL);
        int total = 0;
        for (int i = 0; i < 4; i++) {
                void *applied;
                pthread_join(t[i], &applied);
                assert_true((intptr_t)applied >= 0);
                total += (int)(intptr_t)applied;
        }
        assert_int_equal(total, 1);
        struct db_conn *c;
        assert_int_equal(db_acquire(pool, &c), 0);
        int rows = 0;
        assert_int_equal(db_query(c, "SELECT n FROM counter", NULL, 0, count_cb, &rows), 0);
        assert_int_equal(rows, 1);
        db_release(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(migrations_apply_once_in_order),
                cmocka_unit_test(statements_round_trip_every_type),
                cmocka_unit_test(transactions_commit_and_roll_back),
                cmocka_unit_test(pool_waits_then_times_out),
                cmocka_unit_test(a_killed_connection_is_reopened),
                cmocka_unit_test(every_connection_is_in_utc_and_db_now_is_the_epoch),
                cmocka_unit_test(unreachable_server_is_reported),
                cmocka_unit_test(concurrent_migrators_apply_each_migration_once),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
