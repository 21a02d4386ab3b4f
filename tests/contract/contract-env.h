/* Shared by the contract tests: connection settings come from the env file
 * written by scripts/deps.sh (scripts/test.sh exports it). */
#pragma once

#include <stdio.h>
#include <stdlib.h>

static inline const char *contract_env(const char *name)
{
        const char *v = getenv(name);
        if (!v || !*v) {
                fprintf(stderr,
                        "%s is not set: run the contract suite through scripts/test.sh "
                        "(or source the env file of scripts/deps.sh start DIR)\n",
                        name);
                exit(1);
        }
        return v;
}

/* Settings of a Redis nobody listens at (port 1), short timeouts: for the
 * "Redis is down" cases. */
#define CONTRACT_KV_UNREACHABLE                                                                    \
        {                                                                                          \
                .host = "127.0.0.1", .port = 1, .password = "", .pool_size = 1,                    \
                .connect_timeout_ms = 100, .command_timeout_ms = 100                               \
        }
