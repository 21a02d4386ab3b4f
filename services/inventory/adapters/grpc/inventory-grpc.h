/* The inventory over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "inventory-app.h"
#include "rpc/rpc.h"

extern const struct auth_policy inventory_policies[];
extern const size_t inventory_n_policies;

int inventory_grpc_register(struct rpc_server *server, struct inventory_app *app);
