/* The auth interceptor; see auth/guard.h. */
#include "auth/guard.h"

#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct auth_guard {
        struct auth_guard_config cfg;
};

int auth_guard_new(struct auth_guard **ret_guard, const struct auth_guard_config *cfg)
{
        if (!cfg->keys || !cfg->params.issuer || !cfg->params.audience)
                return -EINVAL;
        struct auth_guard *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->cfg = *cfg;
        *ret_guard = g;
        return 0;
}

void auth_guard_free(struct auth_guard *g)
{
        free(g);
}

static const struct auth_policy *find_policy(const struct auth_guard *g, const char *method)
{
        for (size_t i = 0; i < g->cfg.n_policies; i++)
                if (!strcmp(g->cfg.policies[i].method, method))
                        return &g->cfg.policies[i];
        return NULL;
}

static bool always_public(const char *method)
{
        return !strncmp(method, "/grpc.health.v1.Health/", 23) ||
               !strncmp(method, "/grpc.reflection.", 17);
}

const char *auth_guard_find_unguarded(const struct auth_guard *g,
                                      const ProtobufCServiceDescriptor *desc,
                                      const char *service_name)
{
        static __thread char path[256];
        for (unsigned i = 0; i < desc->n_methods; i++) {
                snprintf(path, sizeof(path), "/%s/%s", service_name ? service_name : desc->name,
                         desc->methods[i].name);
                if (!find_policy(g, path))
                        return path;
        }
        return NULL;
}

static int64_t wall_clock_s(void)
{
        return (int64_t)time(NULL);
}

/* "Bearer <token>" (scheme case-insensitive); NULL when absent or another scheme. */
static const char *bearer_token(const char *header)
{
        if (!header || strncasecmp(header, "Bearer ", 7))
                return NULL;
        header += 7;
        while (*header == ' ')
                header++;
        return *header ? header : NULL;
}

static int roles_text(unsigned roles, char *buf, size_t len)
{
        buf[0] = '\0';
        for (unsigned bit = 1; bit <= AUTH_ROLE_SERVICE; bit <<= 1)
                if (roles & bit)
                        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " or " : "",
                                 auth_role_name(bit));
        return 0;
}

static int guard_intercept(struct rpc_call *call, void *userdata)
{
        const struct auth_guard *g = userdata;
        const char *method = rpc_call_method(call);
        const struct auth_policy *policy = find_policy(g, method);
        bool is_public = always_public(method) || (policy && policy->roles == AUTH_PUBLIC);
        if (!policy && !is_public) {
                log_msg(LOG_ERROR, "no auth policy for method: refused", "{s:s}", "method", method);
                return rpc_error(call, RPC_PERMISSION_DENIED, "method not available");
        }
        const char *header = rpc_call_metadata(call, "authorization");
        const char *token = bearer_token(header);
        if (!token) {
                if (is_public)
                        return rpc_call_proceed(call);
                return rpc_error(
                        call, RPC_UNAUTHENTICATED,
                        header ? "authorization must be 'Bearer <token>'"
                               : "missing authorization: send 'authorization: Bearer <token>'");
        }
        /* a token that is sent must be valid, even on a public method */
        struct auth_principal *p = rpc_call_alloc(call, sizeof(*p));
        if (!p)
                return rpc_error(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        const char *reason = NULL;
        int64_t now = g->cfg.now_s ? g->cfg.now_s() : wall_clock_s();
        if (auth_jwt_verify(g->cfg.keys, &g->cfg.params, token, now, p, &reason) < 0)
                return rpc_error(call, RPC_UNAUTHENTICATED, "invalid token: %s", reason);
        if (g->cfg.revocations.ops) {
                bool revoked = false;
                int r = g->cfg.revocations.ops->check(g->cfg.revocations.self, p, &revoked);
                if (r < 0) {
                        log_msg(LOG_WARN, "revocation store unreachable: refusing the call",
                                "{s:s, s:i}", "method", method, "error", r);
                        return rpc_error(call, RPC_UNAVAILABLE,
                                         "cannot check the token right now; retry later");
                }
                if (revoked)
                        return rpc_error(call, RPC_UNAUTHENTICATED, "invalid token: revoked");
        }
        if (!is_public && !(policy->roles & p->role)) {
                char need[64];
                roles_text(policy->roles, need, sizeof(need));
                return rpc_error(call, RPC_PERMISSION_DENIED, "this method requires role %s", need);
        }
        rpc_call_set_principal(call, p);
        return rpc_call_proceed(call);
}

struct rpc_interceptor auth_guard_interceptor(struct auth_guard *g)
{
        return (struct rpc_interceptor){
                .name = "auth", .intercept = guard_intercept, .userdata = g};
}

const struct auth_principal *auth_principal_of(const struct rpc_call *call)
{
        return rpc_call_principal(call);
}
