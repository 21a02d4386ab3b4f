/* testsvc: composition root of the test-only service. Configuration comes
 * from the environment (BOOKSTORE_TESTSVC_ADDR and BOOKSTORE_RPC_*). Prints
 * "listening on port N" to stdout once it serves, for test harnesses. */
#include "testsvc.h"

#include "bookstore/testing/v1/testing.pb-c.h"

#include "core/config.h"
#include "core/log.h"
#include "auth/revocation-synced.h"
#include "core/clock.h"
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

/* With BOOKSTORE_JWT_VERIFY_KEYS set, calls go through the auth guard, with
 * revocations in the Redis of BOOKSTORE_REDIS_*, as in a real service. */
struct auth_setup {
        struct auth_keyset *keys;
        struct kv *kv;
        struct auth_guard *guard;
        struct auth_guard_config cfg;
        struct auth_revocation_set *revocations;
};

static int setup_auth(struct rpc_server *server, struct auth_setup *a, char *err, size_t err_len)
{
        if (!getenv("BOOKSTORE_JWT_VERIFY_KEYS"))
                return 0;
        struct kv_config kvc;
        struct auth_revocation_sync_config sync;
        int r = auth_keyset_new(&a->keys);
        if (r < 0)
                return r;
        if (auth_keyset_from_env(a->keys, false, err, err_len) < 0 ||
            auth_token_params_from_env(&a->cfg.params, err, err_len) < 0 ||
            kv_config_from_env(&kvc, "BOOKSTORE_REDIS", err, err_len) < 0 ||
            auth_revocation_sync_config_from_env(&sync, err, err_len) < 0)
                return -EINVAL;
        if ((r = kv_new(&a->kv, &kvc)) < 0 ||
            (r = auth_revocation_set_start(&a->revocations, a->kv, &sync)) < 0)
                return r;
        a->cfg.keys = a->keys;
        a->cfg.revocations = auth_revocations_synced(a->revocations);
        if ((r = auth_guard_new(&a->guard, &a->cfg)) < 0)
                return r;
        const char *unguarded = rpc_server_unguarded_method(server); /* registered already */
        if (unguarded) {
                snprintf(err, err_len, "no roles for %s in its method table", unguarded);
                return -EINVAL;
        }
        struct rpc_interceptor ic = auth_guard_interceptor(a->guard);
        return rpc_server_add_interceptor(server, &ic);
}

static void auth_free(struct auth_setup *a)
{
        auth_guard_free(a->guard);
        auth_revocation_set_stop(a->revocations);
        kv_free(a->kv);
        auth_keyset_free(a->keys);
}

int main(void)
{
        log_set_service("testsvc");
        log_start_background_writer();
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
        struct auth_setup auth = {0};
        int r = rpc_server_new(&server, &cfg);
        if (r == 0)
                r = testsvc_register(server);
        if (r == 0)
                r = rpc_server_enable_health(server);
        if (r == 0)
                r = rpc_server_enable_reflection(server, bookstore_testing_descriptors,
                                                 bookstore_testing_descriptors_len);
        if (r == 0 && (r = setup_db_probe(server, &db, err, sizeof(err))) == 0)
                r = setup_auth(server, &auth, err, sizeof(err));
        if (r == -EINVAL) {
                fprintf(stderr, "testsvc: %s\n", err);
                rpc_server_free(server);
                db_pool_free(db);
                auth_free(&auth);
                return 2;
        }
        if (r < 0) {
                log_msg(LOG_ERROR, "could not set up the server", "{s:s}", "error", strerror(-r));
                rpc_server_free(server);
                db_pool_free(db);
                auth_free(&auth);
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
                auth_free(&auth);
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
        auth_free(&auth);
        log_msg(LOG_INFO, "stopped", NULL);
        return 0;
}
