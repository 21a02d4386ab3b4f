/* The catalog over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "catalog-app.h"
#include "rpc/rpc.h"

int catalog_grpc_register(struct rpc_server *server, struct catalog_app *app);
