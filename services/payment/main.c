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

int main(void)
{
        log_set_service("payment");
        rpc_block_signals();
        struct svc_common c = {0};
        struct payment_simulated sim;
        struct payment_app app;
        struct cfg_error e = {{0}};
        char err[512] = "";
        long flaky;
        int r = svc_common_read(&c, "PAYMENT", "0.0.0.0:50054", "bookstore_payment", false, err,
                                sizeof(err));
        if (r == 0 && cfg_int("BOOKSTORE_PAYMENT_FLAKY_FAILURES", 2, 0, 100, &flaky, &e) < 0) {
                snprintf(err, sizeof(err), "%s", e.message);
                r = -EINVAL;
        }
        c.publishes_events = true; /* payment.* events through the outbox */
        if (r == 0)
                r = svc_common_connect(&c, payment_migrations, payment_migrations_count, err,
                                       sizeof(err));
        bool sim_ready = r == 0 && payment_simulated_init(&sim, (int)flaky) == 0;
        if (r == 0) {
                app = (struct payment_app){.store = payment_store_mysql(c.db),
                                           .provider = payment_provider_simulated(&sim),
                                           .env = core_env_system()};
                struct svc_server_spec spec = {
                        .service = &bookstore__payment__v1__payment_service__descriptor,
                        .register_service = payment_grpc_register,
                        .app = &app,
                };
                r = svc_common_build(&c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_common_run(&c, err, sizeof(err));
        svc_common_free(&c);
        if (sim_ready)
                payment_simulated_destroy(&sim);
        return svc_exit_code("payment", r, err);
}
