/* The order service over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "order-app.h"
#include "rpc/rpc.h"

int order_grpc_register(struct rpc_server *server, void *app);
