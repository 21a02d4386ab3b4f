/* The identity service over gRPC: handlers, the error -> status mapping and
 * the per-method auth policy. */
#pragma once

#include "auth/guard.h"
#include "identity-app.h"
#include "rpc/rpc.h"

/* Registers bookstore.identity.v1.IdentityService backed by app. */
int identity_grpc_register(struct rpc_server *server, struct identity_app *app);
