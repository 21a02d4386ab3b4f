/* The order service, asked over gRPC (libs/rpc client) with the customer's
 * own token whether one of their orders with a book was delivered. */
#pragma once

#include "review-ports.h"
#include "rpc/client.h"

struct review_orders_grpc {
        struct rpc_client *client;
        const char *target; /* the order service's host:port */
        int timeout_ms;
};

struct review_orders review_orders_grpc(struct review_orders_grpc *ctx);
