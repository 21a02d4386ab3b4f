/* testsvc: composition root of the test-only service. Configuration comes
 * from the environment (BOOKSTORE_TESTSVC_ADDR and BOOKSTORE_RPC_*). Prints
 * "listening on port N" to stdout once it serves, for test harnesses. */
#include "testsvc.h"

#include "core/config.h"
#include "core/log.h"
#include "db/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char bookstore_testing_descriptors[];
extern const size_t bookstore_testing_descriptors_len;

static int db_probe(void *pool)
{
        return db_pool_ping(pool);
}

/* With BOOKSTORE_TESTSVC_DB_HOST set, the service's health follows that
 * database, as a real service's does. */
static int setup_db_probe(struct rpc_server *server, struct db_pool **ret_pool, char *err,
                          size_t err_len)
{
        if (!getenv("BOOKSTORE_TESTSVC_DB_HOST"))
                return 0;
        struct db_config dbc;
        long interval;
        struct cfg_error e = {{0}};
        if (db_config_from_env(&dbc, "BOOKSTORE_TESTSVC_DB", "bookstore_test", err, err_len) < 0)
                return -EINVAL;
        if (cfg_int("BOOKSTORE_HEALTH_PROBE_INTERVAL_MS", 2000, 10, 600000, &interval, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        int r = db_pool_new(ret_pool, &dbc);
        if (r == 0)
                r = rpc_server_add_health_probe(server, "bookstore.testing.v1.TestService",
                                                db_probe, *ret_pool, (int)interval);
        return r;
}

int main(void)
{
        log_set_service("testsvc");
        rpc_block_signals();

        struct rpc_server_config cfg;
        char err[256];
        if (rpc_server_config_from_env(&cfg, "BOOKSTORE_TESTSVC_ADDR", "127.0.0.1:0", err,
                                       sizeof(err)) < 0) {
                log_msg(LOG_ERROR, "invalid configuration", "{s:s}", "error", err);
                fprintf(stderr, "testsvc: %s\n", err);
                return 2;
        }
        struct rpc_server *server = NULL;
        struct db_pool *db = NULL;
        int r = rpc_server_new(&server, &cfg);
        if (r == 0)
                r = testsvc_register(server);
        if (r == 0)
                r = rpc_server_enable_health(server);
        if (r == 0)
                r = rpc_server_enable_reflection(server, bookstore_testing_descriptors,
                                                 bookstore_testing_descriptors_len);
        if (r == 0 && (r = setup_db_probe(server, &db, err, sizeof(err))) == -EINVAL) {
                fprintf(stderr, "testsvc: %s\n", err);
                rpc_server_free(server);
                return 2;
        }
        if (r < 0) {
                log_msg(LOG_ERROR, "could not set up the server", "{s:s}", "error", strerror(-r));
                rpc_server_free(server);
                db_pool_free(db);
                return 1;
        }
        r = rpc_server_start(server);
        if (r < 0) {
                log_msg(LOG_ERROR, "could not listen", "{s:s, s:s}", "addr", cfg.listen_addr,
                        "error", strerror(-r));
                fprintf(stderr, "testsvc: cannot listen on %s: %s\n", cfg.listen_addr,
                        strerror(-r));
                rpc_server_stop(server);
                rpc_server_free(server);
                db_pool_free(db);
                return 1;
        }
        printf("listening on port %d\n", rpc_server_port(server));
        fflush(stdout);
        log_msg(LOG_INFO, "serving", "{s:s, s:i, s:i}", "addr", cfg.listen_addr, "port",
                rpc_server_port(server), "workers", cfg.workers);

        int sig = rpc_wait_for_signal();
        log_msg(LOG_INFO, "stopping", "{s:i, s:i}", "signal", sig, "grace_ms",
                cfg.shutdown_grace_ms);
        rpc_server_stop(server);
        rpc_server_free(server);
        db_pool_free(db);
        log_msg(LOG_INFO, "stopped", NULL);
        return 0;
}
