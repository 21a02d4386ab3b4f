/* order: composition root. Prices come from the catalog and saved addresses
 * from identity, both over gRPC with the caller's token. */
#include "bookstore/order/v1/order.pb-c.h"
#include "core/config.h"
#include "core/log.h"
#include "order-app.h"
#include "order-grpc.h"
#include "order-mysql.h"
#include "order-peers-grpc.h"
#include "svc/svc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct order_main {
        struct rpc_server_config rpc_cfg;
        struct db_config db_cfg;
        struct kv_config kv_cfg;
        struct auth_token_params token_params;
        long startup_wait_s, probe_ms, peer_timeout_ms;
        const char *catalog_target, *identity_target;

        struct auth_keyset *keys;
        struct db_pool *db;
        struct kv *kv;
        struct rpc_client *client;
        struct order_peers_grpc peers;
        struct order_app app;
        struct svc_server srv;
};

static int read_config(struct order_main *m, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        if (rpc_server_config_from_env(&m->rpc_cfg, "BOOKSTORE_ORDER_ADDR", "0.0.0.0:50055", err,
                                       err_len) < 0 ||
            db_config_from_env(&m->db_cfg, "BOOKSTORE_ORDER_DB", "bookstore_order", err, err_len) <
                    0 ||
            kv_config_from_env(&m->kv_cfg, "BOOKSTORE_REDIS", err, err_len) < 0 ||
            auth_token_params_from_env(&m->token_params, err, err_len) < 0)
                return -EINVAL;
        if (cfg_string("BOOKSTORE_CATALOG_TARGET", "127.0.0.1:50052", &m->catalog_target, &e) < 0 ||
            cfg_string("BOOKSTORE_IDENTITY_TARGET", "127.0.0.1:50051", &m->identity_target, &e) <
                    0 ||
            cfg_int("BOOKSTORE_PEER_TIMEOUT_MS", 2000, 10, 60000, &m->peer_timeout_ms, &e) < 0 ||
            cfg_int("BOOKSTORE_DB_STARTUP_WAIT_S", 30, 0, 600, &m->startup_wait_s, &e) < 0 ||
            cfg_int("BOOKSTORE_HEALTH_PROBE_INTERVAL_MS", 2000, 10, 600000, &m->probe_ms, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        if (auth_keyset_new(&m->keys) < 0 || auth_keyset_from_env(m->keys, false, err, err_len) < 0)
                return -EINVAL;
        return 0;
}

static int wire(struct order_main *m, char *err, size_t err_len)
{
        int r;
        if ((r = db_pool_new(&m->db, &m->db_cfg)) < 0 || (r = kv_new(&m->kv, &m->kv_cfg)) < 0 ||
            (r = db_migrate_wait(m->db, order_migrations, order_migrations_count, m->startup_wait_s,
                                 err, err_len)) < 0 ||
            (r = rpc_client_new(&m->client)) < 0)
                return r;
        m->peers = (struct order_peers_grpc){.client = m->client,
                                             .catalog_target = m->catalog_target,
                                             .identity_target = m->identity_target,
                                             .timeout_ms = (int)m->peer_timeout_ms};
        m->app = (struct order_app){.store = order_store_mysql(m->db),
                                    .peers = order_peers_grpc(&m->peers),
                                    .env = order_env_system()};
        const struct svc_server_spec spec = {
                .service = &bookstore__order__v1__order_service__descriptor,
                .register_service = order_grpc_register,
                .app = &m->app,
                .policies = order_policies,
                .n_policies = order_n_policies,
                .keys = m->keys,
                .token_params = m->token_params,
                .revocations = m->kv,
                .db = m->db,
                .probe_interval_ms = (int)m->probe_ms,
        };
        return svc_server_build(&m->srv, &m->rpc_cfg, &spec, err, err_len);
}

static void teardown(struct order_main *m)
{
        svc_server_free(&m->srv);
        rpc_client_free(m->client);
        kv_free(m->kv);
        db_pool_free(m->db);
        auth_keyset_free(m->keys);
}

int main(void)
{
        log_set_service("order");
        rpc_block_signals();
        struct order_main m = {0};
        char err[512] = "";
        int r = read_config(&m, err, sizeof(err));
        if (r == 0)
                r = wire(&m, err, sizeof(err));
        if (r == 0)
                r = rpc_server_run(m.srv.server, err, sizeof(err));
        teardown(&m);
        return svc_exit_code("order", r, err);
}
