/* catalog: composition root. Configuration from the environment, adapters
 * wired to the use cases, bookstore.catalog.v1 served until SIGTERM. */
#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "catalog-app.h"
#include "catalog-cache-local.h"
#include "catalog-cache-redis.h"
#include "catalog-grpc.h"
#include "catalog-mysql.h"
#include "catalog-projections.h"
#include "core/config.h"
#include "core/log.h"
#include "svc/svc.h"

#include <errno.h>
#include <stdio.h>

static void log_cache_error(int err, const char *what)
{
        log_msg(LOG_WARN, "book cache unavailable, reading the database", "{s:s, s:i}", "operation",
                what, "errno", -err);
}

static int register_service(struct rpc_server *server, void *app)
{
        return catalog_grpc_register(server, app);
}

int main(void)
{
        log_set_service("catalog");
        rpc_block_signals();
        struct svc *c = NULL;
        struct catalog_cache_redis cache = {0};
        struct catalog_cache_local *local = NULL;
        long local_entries, local_bound_ms;
        struct catalog_projections projections;
        struct events_handler handlers[CATALOG_N_HANDLERS];
        struct catalog_app app;
        struct cfg_error e = {{0}};
        char err[512] = "";
        long ttl_ms;
        /* book.* events through the outbox */
        struct svc_options opts = {.name = "CATALOG",
                                   .default_addr = "0.0.0.0:50052",
                                   .default_db = "bookstore_catalog",
                                   .publishes_events = true};
        int r = svc_new(&c, &opts, err, sizeof(err));
        if (r == 0 &&
            (cfg_int("BOOKSTORE_CATALOG_CACHE_TTL_MS", 60000, 1, 86400000, &ttl_ms, &e) < 0 ||
             cfg_int("BOOKSTORE_CATALOG_LOCAL_CACHE_ENTRIES", 1024, 0, 1 << 20, &local_entries,
                     &e) < 0 ||
             cfg_int("BOOKSTORE_CATALOG_LOCAL_CACHE_BOUND_MS", 1000, 20, 60000, &local_bound_ms,
                     &e) < 0)) {
                snprintf(err, sizeof(err), "%s", e.message);
                r = -EINVAL;
        }
        if (r == 0)
                r = svc_connect(c, catalog_migrations, catalog_migrations_count, err, sizeof(err));
        if (r == 0) {
                cache = (struct catalog_cache_redis){.kv = svc_kv(c), .ttl_ms = ttl_ms};
                struct catalog_cache_local_config local_cfg = {.entries = (size_t)local_entries,
                                                               .bound_ms = (int)local_bound_ms,
                                                               .ttl_ms = ttl_ms};
                if (local_entries > 0)
                        r = catalog_cache_local_start(&local, catalog_cache_redis(&cache),
                                                      svc_kv(c), &local_cfg);
        }
        if (r == 0) {
                app = (struct catalog_app){.repo = catalog_repo_mysql(svc_db(c)),
                                           .cache = local ? catalog_cache_local(local)
                                                          : catalog_cache_redis(&cache),
                                           .env = core_env_system(),
                                           .on_cache_error = log_cache_error};
                /* stock events drive SOLD_OUT/ON_SALE; order events the best sellers */
                projections = (struct catalog_projections){.cache = app.cache};
                catalog_event_handlers(&projections, handlers);
                r = svc_consume(c, "bookstore-catalog", catalog_consumed_topics,
                                catalog_n_consumed_topics, handlers, CATALOG_N_HANDLERS, err,
                                sizeof(err));
        }
        if (r == 0) {
                struct svc_server_spec spec = {
                        .service = &bookstore__catalog__v1__catalog_service__descriptor,
                        .register_service = register_service,
                        .app = &app,
                };
                r = svc_build(c, &spec, err, sizeof(err));
        }
        if (r == 0)
                r = svc_run(c, err, sizeof(err));
        svc_free(c);
        catalog_cache_local_stop(local); /* after the server and consumer that use it */
        return svc_exit_code("catalog", r, err);
}
