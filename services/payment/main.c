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

static int prune_fences(void *app)
{
        return payment_prune_fences(app);
}

int main(void)
{
        log_set_service("payment");
        rpc_block_signals();
        struct svc *c = NULL;
        struct payment_simulated sim;
        struct payment_app app;
        struct cfg_error e = {{0}};
        char err[512] = "";
        long flaky, sim_keys, fence_retention;
        /* payment.* events through the outbox */
        struct svc_options opts = {.name = "PAYMENT",
                                   .default_addr = "0.0.0.0:50054",
                                   .default_db = "bookstore_payment",
                                   .publishes_events = true};
        int r = svc_new(&c, &opts, err, sizeof(err));
        if (r == 0 && (cfg_int("BOOKSTORE_PAYMENT_FLAKY_FAILURES", 2, 0, 100, &flaky, &e) < 0 ||
                       cfg_int("BOOKSTORE_PAYMENT_SIM_MAX_KEYS", PAYMENT_SIM_DEFAULT_KEYS, 1,
                               16777216, &sim_keys, &e) < 0 ||
                       cfg_int("BOOKSTORE_FENCE_RETENTION_MS", 86400000, 60000, 315360000000L,
                               &fence_retention, &e) < 0)) {
                snprintf(err, sizeof(err), "%s", e.message);
                r = -EINVAL;
        }
        if (r == 0)
                r = svc_connect(c, payment_migrations, payment_migrations_count, err, sizeof(err));
        if (r == 0 && (r = payment_simulated_init(&sim, (int)flaky, (size_t)sim_keys)) < 0)
                snprintf(err, sizeof(err), "the simulated provider: %s", strerror(-r));
        bool sim_ready = r == 0;
        if (r == 0) {
                app = (struct payment_app){.store = payment_store_mysql(svc_db(c)),
                                           .provider = payment_provider_simulated(&sim),
                                           .env = core_env_system(),
                                           .fence_retention_ms = fence_retention};
                struct svc_server_spec spec = {
                        .service = &bookstore__payment__v1__payment_service__descriptor,
                        .register_service = payment_grpc_register,
                        .app = &app,
                };
                r = svc_build(c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_add_retention(c, "fences", prune_fences, &app);
        if (r == 0)
                r = svc_run(c, err, sizeof(err));
        svc_free(c);
        if (sim_ready)
                payment_simulated_destroy(&sim);
        return svc_exit_code("payment", r, err);
}
