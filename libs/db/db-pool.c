/* Connection pool, connection lifecycle and error mapping; see db/db.h. */
#include "db-int.h"

#include "core/cause.h"
#include "core/clock.h"
#include "core/config.h"

#include <errmsg.h>
#include <errno.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int db_config_from_env(struct db_config *cfg, const char *prefix, const char *default_database,
                       char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        char name[9][96];
        const char *suffix[] = {"HOST",
                                "PORT",
                                "USER",
                                "PASSWORD",
                                "NAME",
                                "POOL_SIZE",
                                "CONNECT_TIMEOUT_S",
                                "IO_TIMEOUT_S",
                                "ACQUIRE_TIMEOUT_MS"};
        for (int i = 0; i < 9; i++)
                snprintf(name[i], sizeof(name[i]), "%s_%s", prefix, suffix[i]);
        long port, pool, connect_s, io_s, acquire_ms;
        const char *host, *user, *password, *database;
        if (cfg_string(name[0], "127.0.0.1", &host, &e) < 0 ||
            cfg_int(name[1], 3306, 1, 65535, &port, &e) < 0 ||
            cfg_string(name[2], "bookstore", &user, &e) < 0 ||
            cfg_string(name[3], "", &password, &e) < 0 ||
            cfg_string(name[4], default_database, &database, &e) < 0 ||
            cfg_int(name[5], 8, 1, 1024, &pool, &e) < 0 ||
            cfg_int(name[6], 3, 1, 600, &connect_s, &e) < 0 ||
            cfg_int(name[7], 10, 1, 3600, &io_s, &e) < 0 ||
            cfg_int(name[8], 2000, 1, 600000, &acquire_ms, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        *cfg = (struct db_config){
                .host = host,
                .port = (int)port,
                .user = user,
                .password = password,
                .database = database,
                .pool_size = (int)pool,
                .connect_timeout_s = (int)connect_s,
                .io_timeout_s = (int)io_s,
                .acquire_timeout_ms = (int)acquire_ms,
        };
        return 0;
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
        mysql_library_init(0, NULL, NULL);
}

int db_pool_new(struct db_pool **ret_pool, const struct db_config *cfg)
{
        if (cfg->pool_size < 1 || !cfg->host || !cfg->user || !cfg->database)
                return -EINVAL;
        pthread_once(&library_once, library_init);
        struct db_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->cfg = *cfg;
        p->cfg.host = strdup(cfg->host);
        p->cfg.user = strdup(cfg->user);
        p->cfg.password = strdup(cfg->password ? cfg->password : "");
        p->cfg.database = strdup(cfg->database);
        p->conns = calloc((size_t)cfg->pool_size, sizeof(*p->conns));
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->released, NULL);
        if (!p->cfg.host || !p->cfg.user || !p->cfg.password || !p->cfg.database || !p->conns) {
                db_pool_free(p);
                return -ENOMEM;
        }
        for (int i = 0; i < cfg->pool_size; i++)
                p->conns[i].pool = p;
        *ret_pool = p;
        return 0;
}

void db_pool_free(struct db_pool *p)
{
        if (!p)
                return;
        if (p->conns)
                for (int i = 0; i < p->cfg.pool_size; i++)
                        db_conn_close(&p->conns[i]);
        free(p->conns);
        free((char *)p->cfg.host);
        free((char *)p->cfg.user);
        free((char *)p->cfg.password);
        free((char *)p->cfg.database);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->released);
        free(p);
}

void db_conn_close(struct db_conn *c)
{
        for (size_t i = 0; i < c->n_stmts; i++) {
                mysql_stmt_close(c->stmts[i].stmt);
                free(c->stmts[i].sql);
        }
        c->n_stmts = 0;
        c->next_evict = 0;
        if (c->mysql) {
                mysql_close(c->mysql);
                atomic_fetch_sub(&c->pool->open, 1);
        }
        c->mysql = NULL; /* in_tx stays: the transaction failed, it does not end here */
}

static bool is_connection_error(unsigned e)
{
        return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONN_HOST_ERROR ||
               e == CR_CONNECTION_ERROR || e == CR_SERVER_LOST_EXTENDED ||
               e == ER_CONNECTION_KILLED || e == CR_COMMANDS_OUT_OF_SYNC;
}

int db_conn_fail(struct db_conn *c, unsigned e, const char *message)
{
        snprintf(c->error, sizeof(c->error), "%u: %s", e, message ? message : "");
        cause_set("mariadb %s", c->error);
        if (is_connection_error(e)) {
                bool refused = e == CR_CONN_HOST_ERROR || e == CR_CONNECTION_ERROR;
                db_conn_close(c);
                return refused ? -ECONNREFUSED : -ECONNRESET;
        }
        switch (e) {
        case ER_DUP_ENTRY:
        case ER_DUP_KEY:
                return -EEXIST;
        case ER_LOCK_DEADLOCK:
                return -EDEADLK;
        case ER_LOCK_WAIT_TIMEOUT:
                return -ETIMEDOUT;
        case ER_NO_REFERENCED_ROW_2:
        case ER_ROW_IS_REFERENCED_2:
                return -ENOENT;
        default:
                return -EIO;
        }
}

int db_conn_ensure_open(struct db_conn *c)
{
        const struct db_config *cfg = &c->pool->cfg;
        int64_t now = clock_monotonic_ms();
        if (c->mysql && now - c->last_used_ms > DB_IDLE_PING_MS && mysql_ping(c->mysql) != 0)
                db_conn_close(c); /* the server dropped an idle connection */
        c->last_used_ms = now;
        if (c->mysql)
                return 0;
        MYSQL *m = mysql_init(NULL);
        if (!m)
                return -ENOMEM;
        unsigned connect_s = (unsigned)cfg->connect_timeout_s, io_s = (unsigned)cfg->io_timeout_s;
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_s);
        mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
        mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        /* DB_NOW_MS goes through the session's zone (CURRENT_TIMESTAMP, then
         * UNIX_TIMESTAMP back): in a zone with DST the hour that repeats maps
         * to one instant, and leases would jump an hour. UTC has no DST. */
        mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
        if (!mysql_real_connect(m, cfg->host, cfg->user, cfg->password, cfg->database,
                                (unsigned)cfg->port, NULL, CLIENT_MULTI_STATEMENTS)) {
                unsigned e = mysql_errno(m);
                snprintf(c->error, sizeof(c->error), "%u: %s", e, mysql_error(m));
                cause_set("mariadb %s", c->error);
                mysql_close(m);
                return e == ER_ACCESS_DENIED_ERROR || e == ER_BAD_DB_ERROR ? -EACCES
                                                                           : -ECONNREFUSED;
        }
        c->mysql = m;
        atomic_fetch_add(&c->pool->open, 1);
        return 0;
}

int db_acquire(struct db_pool *p, struct db_conn **ret_conn)
{
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += p->cfg.acquire_timeout_ms / 1000;
        deadline.tv_nsec += (long)(p->cfg.acquire_timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        struct db_conn *c = NULL;
        pthread_mutex_lock(&p->lock);
        for (;;) {
                /* prefer an open connection, then an unopened slot */
                for (int i = 0; i < p->cfg.pool_size && !c; i++)
                        if (!p->conns[i].in_use && p->conns[i].mysql)
                                c = &p->conns[i];
                for (int i = 0; i < p->cfg.pool_size && !c; i++)
                        if (!p->conns[i].in_use)
                                c = &p->conns[i];
                if (c)
                        break;
                p->waiting++;
                int r = pthread_cond_timedwait(&p->released, &p->lock, &deadline);
                p->waiting--;
                if (r == ETIMEDOUT) {
                        pthread_mutex_unlock(&p->lock);
                        return -ETIMEDOUT;
                }
        }
        c->in_use = true;
        pthread_mutex_unlock(&p->lock);
        int r = db_conn_ensure_open(c);
        if (r < 0) {
                db_release(c);
                return r;
        }
        c->error[0] = '\0';
        *ret_conn = c;
        return 0;
}

void db_release(struct db_conn *c)
{
        if (!c)
                return;
        if (c->in_tx)
                db_rollback(c);
        struct db_pool *p = c->pool;
        pthread_mutex_lock(&p->lock);
        c->in_use = false;
        pthread_cond_signal(&p->released);
        pthread_mutex_unlock(&p->lock);
}

int db_pool_ping(struct db_pool *p)
{
        struct db_conn *c;
        int r = db_acquire(p, &c);
        if (r < 0)
                return r;
        if (mysql_ping(c->mysql) != 0)
                r = db_conn_fail(c, mysql_errno(c->mysql), mysql_error(c->mysql));
        db_release(c);
        return r;
}

void db_pool_stats(struct db_pool *p, struct db_pool_stats *ret)
{
        *ret = (struct db_pool_stats){0};
        pthread_mutex_lock(&p->lock);
        for (int i = 0; i < p->cfg.pool_size; i++)
                ret->in_use += p->conns[i].in_use;
        ret->waiting = p->waiting;
        ret->open = atomic_load(&p->open);
        pthread_mutex_unlock(&p->lock);
}

const char *db_conn_error(const struct db_conn *c)
{
        return c->error;
}

void db_pool_lose_commit_answers(struct db_pool *pool, int n)
{
        atomic_store(&pool->lose_commit_answers, n);
}
