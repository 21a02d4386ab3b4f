/* The order service over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "order-app.h"
#include "rpc/rpc.h"

extern const struct auth_policy order_policies[];
extern const size_t order_n_policies;

int order_grpc_register(struct rpc_server *server, void *app);
