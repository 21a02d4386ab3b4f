/* The test-only service used by the runtime's e2e tests and the bench. */
#pragma once

#include "auth/guard.h"
#include "rpc/rpc.h"

#include <stddef.h>

int testsvc_register(struct rpc_server *server);
