/* ReserveStock under load while MariaDB restarts: a private MariaDB (started
 * with scripts/deps.sh in a directory of its own, argv[1] is the script) is
 * stopped and started again while four threads reserve and release through
 * the inventory use cases and the MariaDB store. Calls fail while it is
 * down; afterwards every book's `reserved` is exactly the sum of its
 * RESERVED reservation lines, and nothing was taken from on_hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "inventory-app.h"
#include "inventory-mysql.h"

#include "../../../tests/contract/contract-db.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { THREADS = 4, BOOKS = 3, ON_HAND = 1000000 };

static const char *deps_script;
static char deps_dir[64];
static struct db_pool *pool;
static char schema[64];
static struct inventory_app app;
static atomic_bool stop;
static atomic_int succeeded_after_restart, failed, reserved_ok;
static atomic_bool restarted;

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static const char *book_name(int i)
{
        static const char *const names[BOOKS] = {"book-a", "book-b", "book-c"};
        return names[i];
}

struct worker {
        int no;
        unsigned seed;
};

static void *load(void *arg)
{
        struct worker *w = arg;
        for (int n = 0; !stop; n++) {
                char order[64];
                snprintf(order, sizeof(order), "o-%d-%d", w->no, n);
                struct inventory_item items[2] = {{.quantity = 1 + rand_r(&w->seed) % 3},
                                                  {.quantity = 1}};
                int first = rand_r(&w->seed) % BOOKS;
                snprintf(items[0].book_id, sizeof(items[0].book_id), "%s", book_name(first));
                snprintf(items[1].book_id, sizeof(items[1].book_id), "%s",
                         book_name((first + 1) % BOOKS));
                struct inventory_reservation res;
                char message[256];
                int r = inventory_reserve(&app, order, items, 2, -1, &res, message,
                                          sizeof(message));
                if (r != IE_OK) {
                        atomic_fetch_add(&failed, 1);
                        sleep_ms(20);
                        continue;
                }
                atomic_fetch_add(&reserved_ok, 1);
                if (restarted)
                        atomic_fetch_add(&succeeded_after_restart, 1);
                if (n % 3 == 0 && inventory_apply(&app, order, ACTION_RELEASE, &res) != IE_OK)
                        atomic_fetch_add(&failed, 1);
        }
        return NULL;
}

static int run_deps(const char *verb)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "'%s' %s '%s' >/dev/null", deps_script, verb, deps_dir);
        return system(cmd);
}

static int setup(void **state)
{
        (void)state;
        if (contract_schema_open("bookstore_invr", inventory_migrations, inventory_migrations_count,
                                 schema, &pool) < 0)
                return -1;
        app.store = inventory_store_mysql(pool);
        for (int i = 0; i < BOOKS; i++) {
                struct inventory_level l;
                if (app.store.ops->set_on_hand(app.store.self, book_name(i), ON_HAND, &l) < 0)
                        return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        contract_schema_drop(pool, schema);
        return 0;
}

static int64_t scalar(const char *sql, const char *book)
{
        int64_t n = contract_scalar(pool, sql, book);
        assert_true(n != INT64_MIN);
        return n;
}

static void reserved_stays_exact_across_a_restart(void **state)
{
        (void)state;
        pthread_t threads[THREADS];
        struct worker workers[THREADS];
        for (int i = 0; i < THREADS; i++) {
                workers[i] = (struct worker){.no = i, .seed = 17u + (unsigned)i};
                assert_int_equal(pthread_create(&threads[i], NULL, load, &workers[i]), 0);
        }
        sleep_ms(1500);
        int before = reserved_ok;
        assert_int_equal(run_deps("stop"), 0);
        sleep_ms(300); /* calls meet a server that is gone */
        assert_int_equal(run_deps("start"), 0);
        restarted = true;
        sleep_ms(2500);
        stop = true;
        for (int i = 0; i < THREADS; i++)
                pthread_join(threads[i], NULL);
        print_message("reservations: %d before the restart, %d in all (%d after it); %d calls "
                      "failed\n",
                      before, (int)reserved_ok, (int)succeeded_after_restart, (int)failed);
        assert_true(before > 0);
        assert_true(failed > 0);                  /* the restart was felt */
        assert_true(succeeded_after_restart > 0); /* and the store came back */
        for (int i = 0; i < BOOKS; i++) {
                int64_t reserved =
                        scalar("SELECT reserved FROM stock WHERE book_id = ?", book_name(i));
                int64_t lines = scalar("SELECT COALESCE(SUM(i.quantity), 0) FROM "
                                       "reservation_items i JOIN reservations r USING (order_id) "
                                       "WHERE r.status = 1 AND i.book_id = ?",
                                       book_name(i));
                int64_t on_hand =
                        scalar("SELECT on_hand FROM stock WHERE book_id = ?", book_name(i));
                assert_int_equal(reserved, lines);
                assert_int_equal(on_hand, ON_HAND);
        }
}

/* Reads DIR/env (export NAME=value lines) into the environment. */
static int load_env(void)
{
        char path[128], line[256];
        snprintf(path, sizeof(path), "%s/env", deps_dir);
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *eq = strchr(line, '=');
                if (strncmp(line, "export ", 7) || !eq)
                        continue;
                *eq = '\0';
                setenv(line + 7, eq + 1, 1);
        }
        fclose(f);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: %s PATH/TO/scripts/deps.sh\n", argv[0]);
                return 2;
        }
        deps_script = argv[1];
        snprintf(deps_dir, sizeof(deps_dir), "/tmp/bsr-XXXXXX");
        if (!mkdtemp(deps_dir) || run_deps("start") != 0 || load_env() < 0) {
                fprintf(stderr, "could not start a private MariaDB in %s\n", deps_dir);
                return 1;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(reserved_stays_exact_across_a_restart),
        };
        int failures = cmocka_run_group_tests(tests, setup, teardown);
        run_deps("stop");
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", deps_dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", deps_dir);
        return failures;
}
