/* The catalog over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "catalog-app.h"
#include "rpc/rpc.h"

extern const struct auth_policy catalog_policies[];
extern const size_t catalog_n_policies;

int catalog_grpc_register(struct rpc_server *server, struct catalog_app *app);
