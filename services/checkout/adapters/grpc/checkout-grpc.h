/* The checkout coordinator over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "checkout-app.h"
#include "rpc/rpc.h"

int checkout_grpc_register(struct rpc_server *server, void *app);
