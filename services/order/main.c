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

int main(void)
{
        log_set_service("order");
        rpc_block_signals();
        struct svc *c = NULL;
        struct rpc_client *client = NULL;
        struct order_peers_grpc peers = {0};
        struct order_app app;
        struct cfg_error e = {{0}};
        char err[512] = "";
        long timeout_ms;
        /* order.* events through the outbox */
        struct svc_options opts = {.name = "ORDER",
                                   .default_addr = "0.0.0.0:50055",
                                   .default_db = "bookstore_order",
                                   .publishes_events = true};
        int r = svc_new(&c, &opts, err, sizeof(err));
        if (r == 0 &&
            (cfg_string("BOOKSTORE_CATALOG_TARGET", "127.0.0.1:50052", &peers.catalog_target, &e) <
                     0 ||
             cfg_string("BOOKSTORE_IDENTITY_TARGET", "127.0.0.1:50051", &peers.identity_target,
                        &e) < 0 ||
             cfg_int("BOOKSTORE_PEER_TIMEOUT_MS", 2000, 10, 60000, &timeout_ms, &e) < 0)) {
                snprintf(err, sizeof(err), "%s", e.message);
                r = -EINVAL;
        }
        if (r == 0)
                r = svc_connect(c, order_migrations, order_migrations_count, err, sizeof(err));
        if (r == 0)
                r = rpc_client_new(&client);
        if (r == 0) {
                peers.client = client;
                peers.timeout_ms = (int)timeout_ms;
                app = (struct order_app){.store = order_store_mysql(svc_db(c)),
                                         .peers = order_peers_grpc(&peers),
                                         .env = core_env_system()};
                struct svc_server_spec spec = {
                        .service = &bookstore__order__v1__order_service__descriptor,
                        .register_service = order_grpc_register,
                        .app = &app,
                };
                r = svc_build(c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_run(c, err, sizeof(err));
        svc_free(c);
        rpc_client_free(client);
        return svc_exit_code("order", r, err);
}
