/* inventory: composition root. Configuration from the environment, adapters
 * wired to the use cases, bookstore.inventory.v1 served until SIGTERM. */
#include "auth/revocation-redis.h"
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "inventory-app.h"
#include "inventory-books-grpc.h"
#include "inventory-grpc.h"
#include "inventory-mysql.h"
#include "core/config.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern const unsigned char bookstore_contract_descriptors[];
extern const size_t bookstore_contract_descriptors_len;

struct inventory_main {
        struct rpc_server_config rpc_cfg;
        struct db_config db_cfg;
        struct kv_config kv_cfg;
        struct auth_token_params token_params;
        long startup_wait_s, probe_ms, catalog_timeout_ms;
        const char *catalog_target;

        struct auth_keyset *keys;
        struct db_pool *db;
        struct kv *kv;
        struct auth_guard *guard;
        struct auth_guard_config guard_cfg;
        struct rpc_client *client;
        struct inventory_books_grpc books;
        struct inventory_app app;
        struct rpc_server *server;
};

static int db_probe(void *pool)
{
        return db_pool_ping(pool);
}

static int read_config(struct inventory_main *m, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        if (rpc_server_config_from_env(&m->rpc_cfg, "BOOKSTORE_INVENTORY_ADDR", "0.0.0.0:50053",
                                       err, err_len) < 0 ||
            db_config_from_env(&m->db_cfg, "BOOKSTORE_INVENTORY_DB", "bookstore_inventory", err,
                               err_len) < 0 ||
            kv_config_from_env(&m->kv_cfg, "BOOKSTORE_REDIS", err, err_len) < 0 ||
            auth_token_params_from_env(&m->token_params, err, err_len) < 0)
                return -EINVAL;
        if (cfg_string("BOOKSTORE_CATALOG_TARGET", "127.0.0.1:50052", &m->catalog_target, &e) < 0 ||
            cfg_int("BOOKSTORE_CATALOG_TIMEOUT_MS", 2000, 10, 60000, &m->catalog_timeout_ms, &e) <
                    0 ||
            cfg_int("BOOKSTORE_DB_STARTUP_WAIT_S", 30, 0, 600, &m->startup_wait_s, &e) < 0 ||
            cfg_int("BOOKSTORE_HEALTH_PROBE_INTERVAL_MS", 2000, 10, 600000, &m->probe_ms, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        if (auth_keyset_new(&m->keys) < 0 || auth_keyset_from_env(m->keys, false, err, err_len) < 0)
                return -EINVAL;
        return 0;
}

static int migrate(struct inventory_main *m, char *err, size_t err_len)
{
        for (long waited = 0;; waited++) {
                int applied = 0;
                int r = db_migrate(m->db, inventory_migrations, inventory_migrations_count,
                                   &applied, err, err_len);
                if (r == 0) {
                        log_msg(LOG_INFO, "schema up to date", "{s:i}", "migrations_applied",
                                applied);
                        return 0;
                }
                if ((r != -ECONNREFUSED && r != -ECONNRESET) || waited >= m->startup_wait_s)
                        return r;
                sleep(1);
        }
}

static int wire(struct inventory_main *m, char *err, size_t err_len)
{
        int r;
        if ((r = db_pool_new(&m->db, &m->db_cfg)) < 0 || (r = kv_new(&m->kv, &m->kv_cfg)) < 0 ||
            (r = migrate(m, err, err_len)) < 0)
                return r;
        if ((r = rpc_client_new(&m->client)) < 0)
                return r;
        m->books = (struct inventory_books_grpc){.client = m->client,
                                                 .target = m->catalog_target,
                                                 .timeout_ms = (int)m->catalog_timeout_ms};
        m->app = (struct inventory_app){.store = inventory_store_mysql(m->db),
                                        .books = inventory_books_grpc(&m->books)};
        m->guard_cfg = (struct auth_guard_config){.keys = m->keys,
                                                  .params = m->token_params,
                                                  .policies = inventory_policies,
                                                  .n_policies = inventory_n_policies,
                                                  .revocations = auth_revocations_redis(m->kv)};
        if ((r = auth_guard_new(&m->guard, &m->guard_cfg)) < 0)
                return r;
        const char *unguarded = auth_guard_find_unguarded(
                m->guard, &bookstore__inventory__v1__inventory_service__descriptor, NULL);
        if (unguarded) {
                snprintf(err, err_len, "no auth policy for %s", unguarded);
                return -EINVAL;
        }
        struct rpc_interceptor guard = auth_guard_interceptor(m->guard);
        if ((r = rpc_server_new(&m->server, &m->rpc_cfg)) < 0 ||
            (r = rpc_server_add_interceptor(m->server, &guard)) < 0 ||
            (r = inventory_grpc_register(m->server, &m->app)) < 0 ||
            (r = rpc_server_enable_health(m->server)) < 0 ||
            (r = rpc_server_add_health_probe(m->server, "bookstore.inventory.v1.InventoryService",
                                             db_probe, m->db, (int)m->probe_ms)) < 0 ||
            (r = rpc_server_enable_reflection(m->server, bookstore_contract_descriptors,
                                              bookstore_contract_descriptors_len)) < 0)
                return r;
        return 0;
}

static void teardown(struct inventory_main *m)
{
        rpc_server_free(m->server);
        rpc_client_free(m->client);
        auth_guard_free(m->guard);
        kv_free(m->kv);
        db_pool_free(m->db);
        auth_keyset_free(m->keys);
}

int main(void)
{
        log_set_service("inventory");
        rpc_block_signals();
        struct inventory_main m = {0};
        char err[512] = "";
        if (read_config(&m, err, sizeof(err)) < 0) {
                fprintf(stderr, "inventory: %s\n", err);
                log_msg(LOG_ERROR, "invalid configuration", "{s:s}", "error", err);
                teardown(&m);
                return 2;
        }
        int r = wire(&m, err, sizeof(err));
        if (r == 0 && (r = rpc_server_start(m.server)) < 0)
                snprintf(err, sizeof(err), "cannot listen on %s: %s", m.rpc_cfg.listen_addr,
                         strerror(-r));
        if (r < 0) {
                if (!err[0])
                        snprintf(err, sizeof(err), "start-up failed: %s", strerror(-r));
                fprintf(stderr, "inventory: %s\n", err);
                log_msg(LOG_ERROR, "start-up failed", "{s:s}", "error", err);
                if (m.server)
                        rpc_server_stop(m.server);
                teardown(&m);
                return r == -EINVAL ? 2 : 1;
        }
        printf("listening on port %d\n", rpc_server_port(m.server));
        fflush(stdout);
        log_msg(LOG_INFO, "serving", "{s:s, s:i}", "addr", m.rpc_cfg.listen_addr, "port",
                rpc_server_port(m.server));
        int sig = rpc_wait_for_signal();
        log_msg(LOG_INFO, "stopping", "{s:i}", "signal", sig);
        rpc_server_stop(m.server);
        teardown(&m);
        log_msg(LOG_INFO, "stopped", NULL);
        return 0;
}
