/* Schema migrations applied at start-up and recorded in schema_migrations. */
#include "db-int.h"

#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char create_table_sql[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version VARCHAR(255) NOT NULL PRIMARY KEY,"
        " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
        ") ENGINE=InnoDB";

static int first_int_cb(const struct db_row *row, void *userdata)
{
        *(int64_t *)userdata = db_row_int64(row, 0);
        return 0;
}

/* Runs a trusted multi-statement script, consuming every result. */
static int run_script(struct db_conn *c, const char *sql)
{
        if (mysql_real_query(c->mysql, sql, strlen(sql)) != 0)
                return db_conn_fail(c, mysql_errno(c->mysql), mysql_error(c->mysql));
        for (;;) {
                MYSQL_RES *res = mysql_store_result(c->mysql);
                if (res)
                        mysql_free_result(res);
                int next = mysql_next_result(c->mysql);
                if (next < 0)
                        return 0;
                if (next > 0)
                        return db_conn_fail(c, mysql_errno(c->mysql), mysql_error(c->mysql));
        }
}

static int cmp_version(const void *a, const void *b)
{
        const struct db_migration *const *x = a, *const *y = b;
        return strcmp((*x)->version, (*y)->version);
}

int db_migrate(struct db_pool *pool, const struct db_migration *list, size_t n, int *ret_applied,
               char *err, size_t err_len)
{
        struct db_conn *c = NULL;
        const struct db_migration **sorted = calloc(n ? n : 1, sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                sorted[i] = &list[i];
        qsort(sorted, n, sizeof(*sorted), cmp_version);

        int applied = 0, r = db_acquire(pool, &c);
        if (r < 0) {
                snprintf(err, err_len, "cannot connect to the database");
                goto out;
        }
        char lock_name[200];
        snprintf(lock_name, sizeof(lock_name), "bookstore_migrations:%.150s", pool->cfg.database);
        int64_t locked = 0;
        struct db_value lock_params[] = {db_text(lock_name), db_int(60)};
        if ((r = db_query(c, "SELECT GET_LOCK(?, ?)", lock_params, 2, first_int_cb, &locked)) < 0 ||
            locked != 1) {
                snprintf(err, err_len, "could not take the migration lock '%s' within 60 s: %s",
                         lock_name, db_conn_error(c));
                r = r < 0 ? r : -ETIMEDOUT;
                goto out;
        }
        if ((r = db_exec(c, create_table_sql, NULL, 0, NULL, NULL)) < 0) {
                snprintf(err, err_len, "cannot create schema_migrations: %s", db_conn_error(c));
                goto unlock;
        }
        for (size_t i = 0; i < n; i++) {
                int64_t present = 0;
                struct db_value v = db_text(sorted[i]->version);
                if ((r = db_query(c, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", &v,
                                  1, first_int_cb, &present)) < 0)
                        break;
                if (present)
                        continue;
                if ((r = run_script(c, sorted[i]->sql)) < 0 ||
                    (r = db_exec(c, "INSERT INTO schema_migrations (version) VALUES (?)", &v, 1,
                                 NULL, NULL)) < 0) {
                        snprintf(err, err_len, "migration %s failed: %s", sorted[i]->version,
                                 db_conn_error(c));
                        break;
                }
                applied++;
        }
unlock:
        if (c->mysql) {
                int64_t ignored;
                db_query(c, "SELECT RELEASE_LOCK(?)", lock_params, 1, first_int_cb, &ignored);
        }
out:
        db_release(c);
        free(sorted);
        if (r == 0)
                *ret_applied = applied;
        return r;
}

static int sql_file(const struct dirent *d)
{
        size_t n = strlen(d->d_name);
        return n > 4 && !strcmp(d->d_name + n - 4, ".sql");
}

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        char chunk[4096];
        size_t got;
        while (mem && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                fwrite(chunk, 1, got, mem);
        bool failed = ferror(f) || !mem;
        fclose(f);
        if (mem)
                fclose(mem);
        if (failed) {
                free(buf);
                return NULL;
        }
        return buf;
}

void db_migrations_free(struct db_migration *list, size_t n)
{
        if (!list)
                return;
        for (size_t i = 0; i < n; i++) {
                free((char *)list[i].version);
                free((char *)list[i].sql);
        }
        free(list);
}

int db_migrations_load_dir(const char *dir, struct db_migration **ret_list, size_t *ret_n)
{
        struct dirent **names;
        int count = scandir(dir, &names, sql_file, alphasort);
        if (count < 0)
                return -errno;
        struct db_migration *list = calloc((size_t)count + 1, sizeof(*list));
        int r = list ? 0 : -ENOMEM;
        size_t n = 0;
        for (int i = 0; i < count; i++) {
                if (r == 0) {
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                        list[n].version = strndup(names[i]->d_name, strlen(names[i]->d_name) - 4);
                        list[n].sql = read_file(path);
                        n++;
                        if (!list[n - 1].version || !list[n - 1].sql)
                                r = -EIO;
                }
                free(names[i]);
        }
        free(names);
        if (r < 0) {
                db_migrations_free(list, n);
                return r;
        }
        *ret_list = list;
        *ret_n = n;
        return 0;
}

int db_migrate_wait(struct db_pool *pool, const struct db_migration *list, size_t n, long wait_s,
                    char *err, size_t err_len)
{
        for (long waited = 0;; waited++) {
                int applied = 0;
                int r = db_migrate(pool, list, n, &applied, err, err_len);
                if (r == 0) {
                        log_msg(LOG_INFO, "schema up to date", "{s:s, s:i}", "database",
                                pool->cfg.database, "migrations_applied", applied);
                        return 0;
                }
                if ((r != -ECONNREFUSED && r != -ECONNRESET) || waited >= wait_s)
                        return r;
                sleep(1);
        }
}

int db_health_probe(void *pool)
{
        return db_pool_ping(pool);
}
