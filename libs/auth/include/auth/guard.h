/* The auth guard: an rpc interceptor that every service installs first.
 *
 * Reads `authorization: Bearer <jwt>`, verifies it (auth_jwt_verify), asks
 * the revocation port whether it was revoked, and applies the service's
 * policy table: public, any authenticated caller, or a set of roles.
 *   missing / invalid / expired / revoked token -> UNAUTHENTICATED
 *   valid token, role not allowed               -> PERMISSION_DENIED
 *   revocation store unreachable                -> UNAVAILABLE (fail closed)
 * Each method's roles come from its entry in the service's method table
 * (rpc_method_impl.roles); one without is refused (PERMISSION_DENIED), and
 * rpc_server_unguarded_method() lets main() refuse to start in that case.
 * Health and reflection methods are public.
 *
 * Threading: the guard is read-only after creation; shared by all workers. */
#pragma once

#include "auth/auth.h"
#include "rpc/rpc.h"

#include <protobuf-c/protobuf-c.h>

/* The roles of a method anyone may call without a token (rpc_method_impl's
 * roles; a bit no role uses). Each method names its roles in the service's
 * method table, next to its handler. */
#define AUTH_PUBLIC (1u << 31)

/* Port: has this token (or every token of its subject) been revoked? */
struct auth_revocation_ops {
        /* 0 and *ret_revoked, or a negative errno when the store is unreachable. */
        int (*check)(void *self, const struct auth_principal *p, bool *ret_revoked);
};
struct auth_revocations {
        const struct auth_revocation_ops *ops;
        void *self;
};

struct auth_guard_config {
        const struct auth_keyset *keys;
        struct auth_token_params params;
        struct auth_revocations revocations; /* ops NULL: no revocation checks */
        int64_t (*now_s)(void);              /* NULL: the wall clock */
};

struct auth_guard;

/* The config and everything it points to must outlive the guard. */
int auth_guard_new(struct auth_guard **ret_guard, const struct auth_guard_config *cfg);
void auth_guard_free(struct auth_guard *g); /* accepts NULL */
struct rpc_interceptor auth_guard_interceptor(struct auth_guard *g);

/* The guard's check of an `authorization` value outside a gRPC call (the
 * REST gateway): RPC_OK with *ret (all zeros for no header: anonymous), or
 * RPC_UNAUTHENTICATED (malformed, invalid, expired, revoked) or
 * RPC_UNAVAILABLE (the revocation store cannot say: fail closed) with a
 * message for the caller. Roles are the services' to check. */
int auth_guard_check(struct auth_guard *g, const char *authorization, struct auth_principal *ret,
                     char *message, size_t message_len);

/* The caller, as the guard verified it; NULL for anonymous calls. */
const struct auth_principal *auth_principal_of(const struct rpc_call *call);
