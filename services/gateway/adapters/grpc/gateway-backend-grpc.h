/* The backend port over the libs/rpc client: each service's methods go to
 * its target ("bookstore.catalog.v1.CatalogService" -> the catalog's
 * host:port), with the caller's authorization and trace context. */
#pragma once

#include "gateway-ports.h"
#include "rpc/client.h"

enum { GATEWAY_MAX_SERVICES = 16 };

struct gateway_backend_grpc {
        struct rpc_client *client;
        struct {
                const char *package; /* "bookstore.catalog.v1" */
                const char *target;  /* "127.0.0.1:50052" */
        } targets[GATEWAY_MAX_SERVICES];
        size_t n_targets;
        int timeout_ms;        /* a unary call */
        int stream_timeout_ms; /* how long a stream may stay open */
};

struct gateway_backend gateway_backend_grpc(struct gateway_backend_grpc *ctx);
