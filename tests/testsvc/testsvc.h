/* The test-only service used by the runtime's e2e tests and the bench. */
#pragma once

#include "rpc/rpc.h"

int testsvc_register(struct rpc_server *server);
