/* The auth guard: an rpc interceptor that every service installs first.
 *
 * Reads `authorization: Bearer <jwt>`, verifies it (auth_jwt_verify), asks
 * the revocation port whether it was revoked, and applies the service's
 * policy table: public, any authenticated caller, or a set of roles.
 *   missing / invalid / expired / revoked token -> UNAUTHENTICATED
 *   valid token, role not allowed               -> PERMISSION_DENIED
 *   revocation store unreachable                -> UNAVAILABLE (fail closed)
 * A method missing from the table is refused (PERMISSION_DENIED), and
 * auth_guard_find_unguarded() lets main() refuse to start in that case.
 * Health and reflection methods are public.
 *
 * Threading: the guard is read-only after creation; shared by all workers. */
#pragma once

#include "auth/auth.h"
#include "rpc/rpc.h"

#include <protobuf-c/protobuf-c.h>

#define AUTH_PUBLIC 0u

struct auth_policy {
        const char *method; /* "/bookstore.catalog.v1.CatalogService/GetBook" */
        unsigned roles;     /* AUTH_PUBLIC, ROLE_ANY, or AUTH_ROLE_* bits */
};

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
        const struct auth_policy *policies;
        size_t n_policies;
        struct auth_revocations revocations; /* ops NULL: no revocation checks */
        int64_t (*now_s)(void);              /* NULL: the wall clock */
};

struct auth_guard;

/* The config and everything it points to must outlive the guard. */
int auth_guard_new(struct auth_guard **ret_guard, const struct auth_guard_config *cfg);
void auth_guard_free(struct auth_guard *g); /* accepts NULL */
struct rpc_interceptor auth_guard_interceptor(struct auth_guard *g);

/* The first method of the service (served under `service_name`, NULL for the
 * descriptor's) that has no policy, or NULL when all are covered. */
const char *auth_guard_find_unguarded(const struct auth_guard *g,
                                      const ProtobufCServiceDescriptor *desc,
                                      const char *service_name);

/* The caller, as the guard verified it; NULL for anonymous calls. */
const struct auth_principal *auth_principal_of(const struct rpc_call *call);
