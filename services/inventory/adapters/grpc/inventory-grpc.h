/* The inventory over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "inventory-app.h"
#include "rpc/rpc.h"

int inventory_grpc_register(struct rpc_server *server, struct inventory_app *app);
