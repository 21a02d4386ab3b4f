/* Private to libs/db. */
#pragma once

#include "db/db.h"

#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>

enum { DB_STMT_CACHE = 64, DB_IDLE_PING_MS = 30000 };

struct db_cached_stmt {
        char *sql;
        MYSQL_STMT *stmt;
};

struct db_conn {
        struct db_pool *pool;
        MYSQL *mysql; /* NULL until opened, and after a lost connection */
        bool in_use;
        bool in_tx; /* until COMMIT or ROLLBACK, also after the connection was lost: a
                       lost transaction is never continued on a new connection */
        int64_t last_used_ms;
        struct db_cached_stmt stmts[DB_STMT_CACHE];
        size_t n_stmts, next_evict;
        char error[256];
};

struct db_pool {
        struct db_config cfg; /* strings owned */
        pthread_mutex_t lock;
        pthread_cond_t released;
        struct db_conn *conns;
        int waiting;                    /* guarded by lock */
        atomic_int open;                /* connections with a live MYSQL handle */
        atomic_int lose_commit_answers; /* fault injection: db_pool_lose_commit_answers */
};

/* Maps the connection's last MySQL error to -errno, records the message and
 * closes the connection when it was lost (reopened on next use). */
int db_conn_fail(struct db_conn *c, unsigned mysql_errno, const char *message);
/* Opens the connection if needed. */
int db_conn_ensure_open(struct db_conn *c);
void db_conn_close(struct db_conn *c);
