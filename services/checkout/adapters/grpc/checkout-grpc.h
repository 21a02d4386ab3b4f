/* The checkout coordinator over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "checkout-app.h"
#include "rpc/rpc.h"

extern const struct auth_policy checkout_policies[];
extern const size_t checkout_n_policies;

int checkout_grpc_register(struct rpc_server *server, void *app);
