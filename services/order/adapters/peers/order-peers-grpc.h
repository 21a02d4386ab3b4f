/* The order service's peers over gRPC (libs/rpc client): prices from the
 * catalog, saved addresses from identity, each asked with the caller's own
 * authorization. */
#pragma once

#include "order-ports.h"
#include "rpc/client.h"

struct order_peers_grpc {
        struct rpc_client *client;
        const char *catalog_target;
        const char *identity_target;
        int timeout_ms;
};

struct order_peers order_peers_grpc(struct order_peers_grpc *ctx);
