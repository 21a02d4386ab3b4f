/* payment: composition root. The simulated provider is the default (and,
 * for now, only) provider adapter; see adapters/provider/payment-simulated.h. */
#include "bookstore/payment/v1/payment.pb-c.h"
#include "core/config.h"
#include "core/log.h"
#include "payment-app.h"
#include "payment-grpc.h"
#include "payment-mysql.h"
#include "payment-simulated.h"
#include "svc/svc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct payment_main {
        struct rpc_server_config rpc_cfg;
        struct db_config db_cfg;
        struct kv_config kv_cfg;
        struct auth_token_params token_params;
        long startup_wait_s, probe_ms, flaky_failures;

        struct auth_keyset *keys;
        struct db_pool *db;
        struct kv *kv;
        struct payment_simulated sim;
        bool sim_ready;
        struct payment_app app;
        struct svc_server srv;
};

static int read_config(struct payment_main *m, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        if (rpc_server_config_from_env(&m->rpc_cfg, "BOOKSTORE_PAYMENT_ADDR", "0.0.0.0:50054", err,
                                       err_len) < 0 ||
            db_config_from_env(&m->db_cfg, "BOOKSTORE_PAYMENT_DB", "bookstore_payment", err,
                               err_len) < 0 ||
            kv_config_from_env(&m->kv_cfg, "BOOKSTORE_REDIS", err, err_len) < 0 ||
            auth_token_params_from_env(&m->token_params, err, err_len) < 0)
                return -EINVAL;
        if (cfg_int("BOOKSTORE_PAYMENT_FLAKY_FAILURES", 2, 0, 100, &m->flaky_failures, &e) < 0 ||
            cfg_int("BOOKSTORE_DB_STARTUP_WAIT_S", 30, 0, 600, &m->startup_wait_s, &e) < 0 ||
            cfg_int("BOOKSTORE_HEALTH_PROBE_INTERVAL_MS", 2000, 10, 600000, &m->probe_ms, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        if (auth_keyset_new(&m->keys) < 0 || auth_keyset_from_env(m->keys, false, err, err_len) < 0)
                return -EINVAL;
        return 0;
}

static int wire(struct payment_main *m, char *err, size_t err_len)
{
        int r;
        if ((r = db_pool_new(&m->db, &m->db_cfg)) < 0 || (r = kv_new(&m->kv, &m->kv_cfg)) < 0 ||
            (r = db_migrate_wait(m->db, payment_migrations, payment_migrations_count,
                                 m->startup_wait_s, err, err_len)) < 0 ||
            (r = payment_simulated_init(&m->sim, (int)m->flaky_failures)) < 0)
                return r;
        m->sim_ready = true;
        m->app = (struct payment_app){.store = payment_store_mysql(m->db),
                                      .provider = payment_provider_simulated(&m->sim),
                                      .env = payment_env_system()};
        const struct svc_server_spec spec = {
                .service = &bookstore__payment__v1__payment_service__descriptor,
                .register_service = payment_grpc_register,
                .app = &m->app,
                .policies = payment_policies,
                .n_policies = payment_n_policies,
                .keys = m->keys,
                .token_params = m->token_params,
                .revocations = m->kv,
                .db = m->db,
                .probe_interval_ms = (int)m->probe_ms,
        };
        return svc_server_build(&m->srv, &m->rpc_cfg, &spec, err, err_len);
}

static void teardown(struct payment_main *m)
{
        svc_server_free(&m->srv);
        if (m->sim_ready)
                payment_simulated_destroy(&m->sim);
        kv_free(m->kv);
        db_pool_free(m->db);
        auth_keyset_free(m->keys);
}

int main(void)
{
        log_set_service("payment");
        rpc_block_signals();
        struct payment_main m = {0};
        char err[512] = "";
        int r = read_config(&m, err, sizeof(err));
        if (r == 0)
                r = wire(&m, err, sizeof(err));
        if (r == 0)
                r = rpc_server_run(m.srv.server, err, sizeof(err));
        teardown(&m);
        return svc_exit_code("payment", r, err);
}
