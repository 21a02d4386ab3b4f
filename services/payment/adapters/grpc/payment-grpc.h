/* The payment service over gRPC: handlers, error -> status mapping, auth policy. */
#pragma once

#include "auth/guard.h"
#include "payment-app.h"
#include "rpc/rpc.h"

int payment_grpc_register(struct rpc_server *server, void *app);
