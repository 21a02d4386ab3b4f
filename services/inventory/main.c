/* inventory: composition root. The catalog (who sells a book) is reached
 * over gRPC with the libs/rpc client. */
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "core/config.h"
#include "core/log.h"
#include "inventory-app.h"
#include "inventory-books-grpc.h"
#include "inventory-grpc.h"
#include "inventory-mysql.h"
#include "svc/svc.h"

#include <errno.h>
#include <stdio.h>

static int register_service(struct rpc_server *server, void *app)
{
        return inventory_grpc_register(server, app);
}

static int prune_tombstones(void *app)
{
        return inventory_prune_tombstones(app);
}

int main(void)
{
        log_set_service("inventory");
        rpc_block_signals();
        struct svc *c = NULL;
        struct rpc_client *client = NULL;
        struct inventory_books_grpc books = {0};
        struct inventory_app app;
        struct cfg_error e = {{0}};
        char err[512] = "";
        const char *catalog_target = NULL;
        long timeout_ms, tombstone_retention;
        /* stock.* events through the outbox */
        struct svc_options opts = {.name = "INVENTORY",
                                   .default_addr = "0.0.0.0:50053",
                                   .default_db = "bookstore_inventory",
                                   .publishes_events = true};
        int r = svc_new(&c, &opts, err, sizeof(err));
        if (r == 0 &&
            (cfg_string("BOOKSTORE_CATALOG_TARGET", "127.0.0.1:50052", &catalog_target, &e) < 0 ||
             cfg_int("BOOKSTORE_CATALOG_TIMEOUT_MS", 2000, 10, 60000, &timeout_ms, &e) < 0 ||
             cfg_int("BOOKSTORE_FENCE_RETENTION_MS", 86400000, 60000, 315360000000L,
                     &tombstone_retention, &e) < 0)) {
                snprintf(err, sizeof(err), "%s", e.message);
                r = -EINVAL;
        }
        if (r == 0)
                r = svc_connect(c, inventory_migrations, inventory_migrations_count, err,
                                sizeof(err));
        if (r == 0)
                r = rpc_client_new(&client);
        if (r == 0) {
                books = (struct inventory_books_grpc){
                        .client = client, .target = catalog_target, .timeout_ms = (int)timeout_ms};
                app = (struct inventory_app){.store = inventory_store_mysql(svc_db(c)),
                                             .books = inventory_books_grpc(&books),
                                             .tombstone_retention_ms = tombstone_retention};
                struct svc_server_spec spec = {
                        .service = &bookstore__inventory__v1__inventory_service__descriptor,
                        .register_service = register_service,
                        .app = &app,
                };
                r = svc_build(c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_add_retention(c, "tombstones", prune_tombstones, &app);
        if (r == 0)
                r = svc_run(c, err, sizeof(err));
        svc_free(c);
        rpc_client_free(client);
        return svc_exit_code("inventory", r, err);
}
