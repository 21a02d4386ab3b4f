/* checkout: composition root. The coordinator drives order, payment and
 * inventory over gRPC with a SERVICE token from identity, and keeps its sagas
 * in its own schema. */
#include "bookstore/checkout/v1/checkout.pb-c.h"
#include "checkout-app.h"
#include "checkout-grpc.h"
#include "checkout-metrics.h"
#include "checkout-mysql.h"
#include "checkout-peers-grpc.h"
#include "core/config.h"
#include "core/log.h"
#include "svc/svc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* PlaceOrder holds a worker while its saga runs: more workers than the
 * other services' default, unless BOOKSTORE_RPC_WORKERS says otherwise; and
 * every runner writes its saga's state, so more database connections. */
enum { CHECKOUT_DEFAULT_WORKERS = 64, CHECKOUT_DEFAULT_DB_POOL = 16 };

/* Fault injection for crash drills: BOOKSTORE_CHECKOUT_CRASH_AFTER_STEP names
 * a step (or compensation); the process kills itself with SIGKILL right after
 * a participant answered it and before the answer is recorded. */
static void crash_after(void *ctx, const char *step)
{
        if (!strcmp(ctx, step)) {
                log_msg(LOG_WARN, "crash drill: killing the coordinator", "{s:s}", "after_step",
                        step);
                raise(SIGKILL);
        }
}

static int read_config(struct checkout_app *app, struct checkout_peers_grpc *peers,
                       const char **crash_step, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        long timeout, runners, attempts, base, max, deadline, stuck, comp, lease, resume, wait;
        long rec_interval, rec_window, rec_grace, rec_max, rec_repair, retention, journal_keep;
        const char *instance;
        char host[64] = "checkout";
        gethostname(host, sizeof(host) - 1);
        if (cfg_string("BOOKSTORE_IDENTITY_TARGET", "127.0.0.1:50051", &peers->identity_target,
                       &e) < 0 ||
            cfg_string("BOOKSTORE_INVENTORY_TARGET", "127.0.0.1:50053", &peers->inventory_target,
                       &e) < 0 ||
            cfg_string("BOOKSTORE_PAYMENT_TARGET", "127.0.0.1:50054", &peers->payment_target, &e) <
                    0 ||
            cfg_string("BOOKSTORE_ORDER_TARGET", "127.0.0.1:50055", &peers->order_target, &e) < 0 ||
            cfg_int("BOOKSTORE_PEER_TIMEOUT_MS", 2000, 10, 60000, &timeout, &e) < 0 ||
            cfg_string("BOOKSTORE_CHECKOUT_SERVICE_NAME", "checkout", &peers->service_name, &e) <
                    0 ||
            cfg_string("BOOKSTORE_CHECKOUT_SERVICE_SECRET", "", &peers->service_secret, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_RUNNERS", 32, 1, 1024, &runners, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_STEP_ATTEMPTS", 0, 0, 1000000, &attempts, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_RETRY_BASE_MS", 50, 1, 60000, &base, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_RETRY_MAX_MS", 2000, 1, 600000, &max, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_STEP_DEADLINE_MS", 15000, 10, 3600000, &deadline, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_STUCK_AFTER_MS", 60000, 10, 86400000, &stuck, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_COMPENSATION_ATTEMPTS", 0, 0, 1000000, &comp, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_LEASE_MS", 30000, 100, 3600000, &lease, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_RESUME_INTERVAL_MS", 5000, 50, 3600000, &resume, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_WAIT_MS", 30000, 0, 3600000, &wait, &e) < 0 ||
            cfg_string("BOOKSTORE_CHECKOUT_INSTANCE", host, &instance, &e) < 0 ||
            cfg_string("BOOKSTORE_CHECKOUT_CRASH_AFTER_STEP", "", crash_step, &e) < 0 ||
            cfg_int("BOOKSTORE_RECONCILE_INTERVAL_MS", 60000, 0, 86400000, &rec_interval, &e) < 0 ||
            cfg_int("BOOKSTORE_RECONCILE_WINDOW_MS", 3600000, 1000, 2592000000L, &rec_window, &e) <
                    0 ||
            cfg_int("BOOKSTORE_RECONCILE_GRACE_MS", 30000, 0, 86400000, &rec_grace, &e) < 0 ||
            cfg_int("BOOKSTORE_RECONCILE_MAX_ORDERS", 20000, 1, 10000000, &rec_max, &e) < 0 ||
            cfg_int("BOOKSTORE_RECONCILE_REPAIR", 1, 0, 1, &rec_repair, &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_RETENTION_MS", 2592000000L, 0, 315360000000L, &retention,
                    &e) < 0 ||
            cfg_int("BOOKSTORE_CHECKOUT_JOURNAL_KEEP", 50, 2, 100000, &journal_keep, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        if (strlen(peers->service_secret) < 16) {
                snprintf(err, err_len,
                         "BOOKSTORE_CHECKOUT_SERVICE_SECRET: expected the secret (16 or more "
                         "characters) identity knows this service by in "
                         "BOOKSTORE_IDENTITY_SERVICE_CLIENTS");
                return -EINVAL;
        }
        if (max < base || strlen(instance) >= sizeof(app->cfg.owner) || !*instance) {
                snprintf(err, err_len,
                         max < base ? "BOOKSTORE_CHECKOUT_RETRY_MAX_MS: expected at least "
                                      "BOOKSTORE_CHECKOUT_RETRY_BASE_MS"
                                    : "BOOKSTORE_CHECKOUT_INSTANCE: expected 1 to 127 characters");
                return -EINVAL;
        }
        peers->timeout_ms = (int)timeout;
        app->cfg = (struct checkout_config){
                .policy = {.max_attempts = (int)attempts,
                           .max_compensation_attempts = (int)comp,
                           .base_delay_ms = base,
                           .max_delay_ms = max},
                .step_deadline_ms = deadline,
                .stuck_after_ms = stuck,
                .lease_ms = lease,
                .resume_interval_ms = resume,
                .wait_ms = wait,
                .runners = (int)runners,
                .reconcile_interval_ms = rec_interval,
                .reconcile_window_ms = rec_window,
                .reconcile_grace_ms = rec_grace,
                .reconcile_max_orders = rec_max,
                .reconcile_repair = rec_repair != 0,
                .retention_ms = retention,
                .journal_keep = (size_t)journal_keep,
        };
        snprintf(app->cfg.owner, sizeof(app->cfg.owner), "%s", instance);
        return checkout_config_check(&app->cfg, timeout, err, err_len);
}

static int retain(void *app)
{
        return checkout_retain(app);
}

int main(void)
{
        log_set_service("checkout");
        rpc_block_signals();
        struct svc *c = NULL;
        struct rpc_client *client = NULL;
        struct checkout_peers_grpc peers = {0};
        struct checkout_app app = {0};
        struct checkout_metrics saga_metrics = {0};
        const char *crash_step = "";
        char err[512] = "";
        bool started = false;
        checkout_peers_grpc_init(&peers);
        struct svc_options opts = {.name = "CHECKOUT",
                                   .default_addr = "0.0.0.0:50056",
                                   .default_db = "bookstore_checkout",
                                   .publishes_events = true, /* saga.* events, outbox */
                                   .default_workers = CHECKOUT_DEFAULT_WORKERS,
                                   .default_db_pool = CHECKOUT_DEFAULT_DB_POOL};
        int r = svc_new(&c, &opts, err, sizeof(err));
        if (r == 0)
                r = read_config(&app, &peers, &crash_step, err, sizeof(err));
        if (r == 0)
                r = svc_connect(c, checkout_migrations, checkout_migrations_count, err,
                                sizeof(err));
        if (r == 0)
                r = rpc_client_new(&client);
        if (r == 0) {
                peers.client = client;
                app.store = checkout_store_mysql(svc_db(c));
                app.peers = checkout_peers_grpc(&peers);
                app.views = checkout_views_grpc(&peers);
                app.divergences = checkout_divergences_mysql(svc_db(c));
                app.env = core_env_system();
                if ((r = checkout_metrics_init(&saga_metrics, svc_metrics(c))) == 0)
                        app.observer = checkout_observer_metrics(&saga_metrics);
                if (*crash_step) {
                        app.after_step = crash_after;
                        app.after_step_ctx = (void *)crash_step;
                }
                struct svc_server_spec spec = {
                        .service = &bookstore__checkout__v1__checkout_service__descriptor,
                        .register_service = checkout_grpc_register,
                        .app = &app,
                };
                if (r == 0)
                        r = svc_build(c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_add_retention(c, "sagas", retain, &app);
        if (r == 0 && (r = checkout_app_start(&app)) < 0)
                snprintf(err, sizeof(err), "cannot start the saga runners: %s", strerror(-r));
        started = r == 0;
        if (r == 0)
                r = svc_run(c, err, sizeof(err));
        if (started)
                checkout_app_stop(&app);
        svc_free(c);
        rpc_client_free(client);
        checkout_peers_grpc_free(&peers);
        return svc_exit_code("checkout", r, err);
}
