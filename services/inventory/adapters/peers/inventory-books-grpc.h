/* The catalog, asked over gRPC (libs/rpc client) who sells a book. */
#pragma once

#include "inventory-ports.h"
#include "rpc/client.h"

struct inventory_books_grpc {
        struct rpc_client *client;
        const char *target; /* the catalog's host:port */
        int timeout_ms;
};

struct inventory_books inventory_books_grpc(struct inventory_books_grpc *ctx);
