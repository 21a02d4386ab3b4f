/* catalog: composition root. Configuration from the environment, adapters
 * wired to the use cases, bookstore.catalog.v1 served until SIGTERM. */
#include "auth/revocation-redis.h"
#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "catalog-app.h"
#include "catalog-cache-redis.h"
#include "catalog-grpc.h"
#include "catalog-mysql.h"
#include "catalog-system.h"
#include "core/config.h"
#include "core/log.h"
#include "svc/svc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct catalog_main {
        struct rpc_server_config rpc_cfg;
        struct db_config db_cfg;
        struct kv_config kv_cfg;
        struct auth_token_params token_params;
        long startup_wait_s, probe_ms, cache_ttl_ms;

        struct auth_keyset *keys;
        struct db_pool *db;
        struct kv *kv;
        struct catalog_cache_redis cache;
        struct catalog_app app;
        struct svc_server srv;
};

static void log_cache_error(int err, const char *what)
{
        log_msg(LOG_WARN, "book cache unavailable, reading the database", "{s:s, s:i}", "operation",
                what, "errno", -err);
}

static int read_config(struct catalog_main *m, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        if (rpc_server_config_from_env(&m->rpc_cfg, "BOOKSTORE_CATALOG_ADDR", "0.0.0.0:50052", err,
                                       err_len) < 0 ||
            db_config_from_env(&m->db_cfg, "BOOKSTORE_CATALOG_DB", "bookstore_catalog", err,
                               err_len) < 0 ||
            kv_config_from_env(&m->kv_cfg, "BOOKSTORE_REDIS", err, err_len) < 0 ||
            auth_token_params_from_env(&m->token_params, err, err_len) < 0)
                return -EINVAL;
        if (cfg_int("BOOKSTORE_CATALOG_CACHE_TTL_MS", 60000, 1, 86400000, &m->cache_ttl_ms, &e) <
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

static int register_service(struct rpc_server *server, void *app)
{
        return catalog_grpc_register(server, app);
}

static int wire(struct catalog_main *m, char *err, size_t err_len)
{
        int r;
        if ((r = db_pool_new(&m->db, &m->db_cfg)) < 0 || (r = kv_new(&m->kv, &m->kv_cfg)) < 0 ||
            (r = db_migrate_wait(m->db, catalog_migrations, catalog_migrations_count,
                                 m->startup_wait_s, err, err_len)) < 0)
                return r;
        m->cache = (struct catalog_cache_redis){.kv = m->kv, .ttl_ms = m->cache_ttl_ms};
        m->app = (struct catalog_app){.repo = catalog_repo_mysql(m->db),
                                      .cache = catalog_cache_redis(&m->cache),
                                      .env = catalog_env_system(),
                                      .on_cache_error = log_cache_error};
        const struct svc_server_spec spec = {
                .service = &bookstore__catalog__v1__catalog_service__descriptor,
                .register_service = register_service,
                .app = &m->app,
                .policies = catalog_policies,
                .n_policies = catalog_n_policies,
                .keys = m->keys,
                .token_params = m->token_params,
                .revocations = m->kv,
                .db = m->db,
                .probe_interval_ms = (int)m->probe_ms,
        };
        return svc_server_build(&m->srv, &m->rpc_cfg, &spec, err, err_len);
}

static void teardown(struct catalog_main *m)
{
        svc_server_free(&m->srv);
        kv_free(m->kv);
        db_pool_free(m->db);
        auth_keyset_free(m->keys);
}

int main(void)
{
        log_set_service("catalog");
        rpc_block_signals();
        struct catalog_main m = {0};
        char err[512] = "";
        int r = read_config(&m, err, sizeof(err));
        if (r == 0)
                r = wire(&m, err, sizeof(err));
        if (r == 0)
                r = rpc_server_run(m.srv.server, err, sizeof(err));
        teardown(&m);
        return svc_exit_code("catalog", r, err);
}
