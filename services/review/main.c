/* review: composition root. The order service (did this customer receive
 * the book?) is reached over gRPC with the libs/rpc client; review.* events
 * leave through the outbox. */
#include "bookstore/review/v1/review.pb-c.h"
#include "core/config.h"
#include "core/log.h"
#include "review-grpc.h"
#include "review-mysql.h"
#include "review-orders-grpc.h"
#include "svc/svc.h"

#include <errno.h>
#include <stdio.h>

static int register_service(struct rpc_server *server, void *app)
{
        return review_grpc_register(server, app);
}

int main(void)
{
        log_set_service("review");
        rpc_block_signals();
        struct svc *c = NULL;
        struct rpc_client *client = NULL;
        struct review_orders_grpc orders = {0};
        struct review_app app;
        struct cfg_error e = {{0}};
        char err[512] = "";
        const char *order_target = NULL;
        long timeout_ms;
        struct svc_options opts = {.name = "REVIEW",
                                   .default_addr = "0.0.0.0:50057",
                                   .default_db = "bookstore_review",
                                   .publishes_events = true};
        int r = svc_new(&c, &opts, err, sizeof(err));
        if (r == 0 &&
            (cfg_string("BOOKSTORE_ORDER_TARGET", "127.0.0.1:50055", &order_target, &e) < 0 ||
             cfg_int("BOOKSTORE_ORDER_TIMEOUT_MS", 2000, 10, 60000, &timeout_ms, &e) < 0)) {
                snprintf(err, sizeof(err), "%s", e.message);
                r = -EINVAL;
        }
        if (r == 0)
                r = svc_connect(c, review_migrations, review_migrations_count, err, sizeof(err));
        if (r == 0)
                r = rpc_client_new(&client);
        if (r == 0) {
                orders = (struct review_orders_grpc){
                        .client = client, .target = order_target, .timeout_ms = (int)timeout_ms};
                app = (struct review_app){.store = review_store_mysql(svc_db(c)),
                                          .orders = review_orders_grpc(&orders),
                                          .env = core_env_system()};
                struct svc_server_spec spec = {
                        .service = &bookstore__review__v1__review_service__descriptor,
                        .register_service = register_service,
                        .app = &app,
                };
                r = svc_build(c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_run(c, err, sizeof(err));
        svc_free(c);
        rpc_client_free(client);
        return svc_exit_code("review", r, err);
}
