/* gateway: composition root. The REST/JSON front door: routes from the
 * contract's google.api.http annotations (the embedded descriptor set),
 * transcoded by protobuf's JSON mapping, sent to each service's gRPC port
 * with the libs/rpc client; tokens checked by libs/auth's guard and a rate
 * limit per client in Redis. Serves until SIGTERM. */
#include "auth/guard.h"
#include "auth/revocation-synced.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway-app.h"
#include "gateway-backend-grpc.h"
#include "gateway-codec-protobuf.h"
#include "gateway-edge.h"
#include "gateway-http.h"
#include "kv/kv.h"
#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct embedded_file gateway_console_files[];
extern const unsigned char bookstore_contract_descriptors[];
extern const size_t bookstore_contract_descriptors_len;

/* The services behind the routes and their default local ports. */
static const struct {
        const char *package, *env, *target;
} services[] = {
        {"bookstore.identity.v1", "BOOKSTORE_IDENTITY_TARGET", "127.0.0.1:50051"},
        {"bookstore.catalog.v1", "BOOKSTORE_CATALOG_TARGET", "127.0.0.1:50052"},
        {"bookstore.inventory.v1", "BOOKSTORE_INVENTORY_TARGET", "127.0.0.1:50053"},
        {"bookstore.payment.v1", "BOOKSTORE_PAYMENT_TARGET", "127.0.0.1:50054"},
        {"bookstore.order.v1", "BOOKSTORE_ORDER_TARGET", "127.0.0.1:50055"},
        {"bookstore.checkout.v1", "BOOKSTORE_CHECKOUT_TARGET", "127.0.0.1:50056"},
        {"bookstore.review.v1", "BOOKSTORE_REVIEW_TARGET", "127.0.0.1:50057"},
};

struct settings {
        struct gateway_http_config http;
        long timeout_ms, stream_timeout_ms, rate_limit, rate_window_ms;
        const char *rate_namespace;
        bool trust_forwarded;
};

static int read_settings(struct settings *s, struct gateway_backend_grpc *backend, char *err,
                         size_t err_len)
{
        struct cfg_error e = {{0}};
        long connections;
        size_t max_body;
        int r = cfg_string("BOOKSTORE_GATEWAY_ADDR", "0.0.0.0:8080", &s->http.addr, &e);
        if (r == 0)
                r = cfg_string("BOOKSTORE_GATEWAY_CORS_ORIGINS", "", &s->http.cors_origins, &e);
        if (r == 0)
                r = cfg_size("BOOKSTORE_GATEWAY_MAX_BODY_BYTES", 64 << 10, 1 << 10, 16 << 20,
                             &max_body, &e);
        if (r == 0)
                r = cfg_int("BOOKSTORE_GATEWAY_MAX_CONNECTIONS", 256, 1, 10000, &connections, &e);
        if (r == 0)
                r = cfg_int("BOOKSTORE_GATEWAY_TIMEOUT_MS", 30000, 100, 600000, &s->timeout_ms, &e);
        if (r == 0)
                r = cfg_int("BOOKSTORE_GATEWAY_STREAM_TIMEOUT_MS", 600000, 1000, 86400000,
                            &s->stream_timeout_ms, &e);
        if (r == 0)
                r = cfg_int("BOOKSTORE_GATEWAY_RATE_LIMIT", 100, 0, 1000000, &s->rate_limit, &e);
        if (r == 0)
                r = cfg_int("BOOKSTORE_GATEWAY_RATE_WINDOW_MS", 1000, 10, 3600000,
                            &s->rate_window_ms, &e);
        if (r == 0)
                r = cfg_string("BOOKSTORE_GATEWAY_RATE_NAMESPACE", "", &s->rate_namespace, &e);
        if (r == 0)
                r = cfg_bool("BOOKSTORE_GATEWAY_TRUST_FORWARDED_FOR", false, &s->trust_forwarded,
                             &e);
        if (r == 0)
                r = cfg_string("BOOKSTORE_GATEWAY_TRUSTED_PROXIES", "", &s->http.trusted_proxies,
                               &e);
        for (size_t i = 0; r == 0 && i < sizeof(services) / sizeof(services[0]); i++) {
                backend->targets[i].package = services[i].package;
                r = cfg_string(services[i].env, services[i].target, &backend->targets[i].target,
                               &e);
                backend->n_targets = i + 1;
        }
        if (r < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        s->http.max_body_bytes = max_body;
        s->http.max_connections = (unsigned)connections;
        if (s->trust_forwarded && !*s->http.trusted_proxies) /* the older switch: anyone */
                s->http.trusted_proxies = "0.0.0.0/0, ::/0";
        backend->timeout_ms = (int)s->timeout_ms;
        backend->stream_timeout_ms = (int)s->stream_timeout_ms;
        return 0;
}

int main(void)
{
        log_set_service("gateway");
        log_start_background_writer();
        rpc_block_signals();
        char err[512] = "";
        struct settings s = {0};
        struct gateway_backend_grpc backend = {0};
        struct gateway_limiter_kv limiter = {0};
        struct kv_config kv_cfg;
        struct auth_token_params token_params;
        struct auth_keyset *keys = NULL;
        struct auth_guard *guard = NULL;
        struct auth_revocation_sync_config sync;
        struct auth_revocation_set *revocation_set = NULL;
        struct kv *kv = NULL;
        struct proto_json *pj = NULL;
        struct metrics *metrics = NULL;
        struct gateway_http *http = NULL;
        struct gateway_app app = {0};
        char *openapi = NULL;
        int port = 0;
        int r = read_settings(&s, &backend, err, sizeof(err));
        if (r == 0 && (kv_config_from_env(&kv_cfg, "BOOKSTORE_REDIS", err, sizeof(err)) < 0 ||
                       auth_token_params_from_env(&token_params, err, sizeof(err)) < 0 ||
                       auth_revocation_sync_config_from_env(&sync, err, sizeof(err)) < 0))
                r = -EINVAL;
        if (r == 0 && (r = auth_keyset_new(&keys)) == 0 &&
            auth_keyset_from_env(keys, false, err, sizeof(err)) < 0)
                r = -EINVAL;
        if (r == 0 && (r = kv_new(&kv, &kv_cfg)) < 0)
                snprintf(err, sizeof(err), "cannot set up Redis");
        if (r == 0 && (r = auth_revocation_set_start(&revocation_set, kv, &sync)) < 0)
                snprintf(err, sizeof(err), "cannot follow the token revocations");
        if (r == 0) {
                struct auth_guard_config guard_cfg = {
                        .keys = keys,
                        .params = token_params,
                        .revocations = auth_revocations_synced(revocation_set)};
                r = auth_guard_new(&guard, &guard_cfg);
        }
        if (r == 0)
                r = proto_json_new(bookstore_contract_descriptors,
                                   bookstore_contract_descriptors_len, &pj, err, sizeof(err));
        if (r == 0 && (r = rpc_client_new(&backend.client)) == 0) {
                limiter = (struct gateway_limiter_kv){.kv = kv,
                                                      .limit = (int)s.rate_limit,
                                                      .window_ms = s.rate_window_ms,
                                                      .ns = s.rate_namespace};
                app = (struct gateway_app){
                        .codec = gateway_codec_protobuf(pj),
                        .backend = gateway_backend_grpc(&backend),
                        .tokens = gateway_tokens_guard(guard),
                        .limiter = s.rate_limit ? gateway_limiter_kv(&limiter)
                                                : (struct gateway_limiter){0},
                };
                r = gateway_app_load(&app, err, sizeof(err));
        }
        if (r == 0 && (r = proto_json_openapi(pj, "bookstore-c REST API", "v1", &openapi)) < 0)
                snprintf(err, sizeof(err), "cannot make the OpenAPI document");
        if (r == 0 && (r = metrics_new(&metrics)) == 0)
                metrics_add_process_collector(metrics);
        if (r == 0) {
                s.http.openapi_json = openapi;
                s.http.console = gateway_console_files;
                s.http.metrics = metrics;
                r = gateway_http_start(&http, &app, &s.http, &port);
                if (r < 0)
                        snprintf(err, sizeof(err), "cannot listen on %s", s.http.addr);
        }
        if (r == 0) {
                log_msg(LOG_INFO, "serving", "{s:s, s:i, s:i}", "addr", s.http.addr, "port", port,
                        "routes", (int)app.n_routes);
                printf("listening on port %d\n", port);
                fflush(stdout);
                rpc_wait_for_signal();
                log_msg(LOG_INFO, "stopping", "{}");
        }
        gateway_http_stop(http);
        gateway_app_free(&app);
        free(openapi);
        metrics_free(metrics);
        rpc_client_free(backend.client);
        proto_json_free(pj);
        auth_guard_free(guard);
        auth_revocation_set_stop(revocation_set);
        kv_free(kv);
        auth_keyset_free(keys);
        if (r < 0) {
                fprintf(stderr, "gateway: %s\n", err[0] ? err : strerror(-r));
                log_msg(LOG_ERROR, "cannot start", "{s:s}", "error", err[0] ? err : strerror(-r));
                return r == -EINVAL ? 2 : 1;
        }
        return 0;
}
