/* The auth interceptor; see auth/guard.h. */
#include "auth/guard.h"

#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Tokens already verified, so a client reusing its token (for up to 15
 * minutes) costs one signature check, not one per call: with OpenSSL 3,
 * libjwt's per-call PEM parsing and ECDSA verification were ~1 ms of CPU and
 * serialized threads on OpenSSL's global locks. Direct-mapped by a hash of the
 * token, compared in full; an entry is used only until the token's own expiry
 * (plus leeway). Revocation is still checked on every call. */
enum { TOKEN_CACHE_SLOTS = 1024, TOKEN_CACHE_MAX_TOKEN = 2048 };

struct token_cache_entry {
        char *token; /* NULL: empty */
        struct auth_principal principal;
};

struct auth_guard {
        struct auth_guard_config cfg;
        pthread_mutex_t cache_lock;
        struct token_cache_entry cache[TOKEN_CACHE_SLOTS];
};

static int64_t wall_clock_s(void);

static int never_revoked(void *self, const struct auth_principal *p, bool *ret_revoked)
{
        *ret_revoked = false;
        return 0;
}

static const struct auth_revocation_ops no_revocations = {.check = never_revoked};

int auth_guard_new(struct auth_guard **ret_guard, const struct auth_guard_config *cfg)
{
        if (!cfg->keys || !cfg->params.issuer || !cfg->params.audience)
                return -EINVAL;
        struct auth_guard *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->cfg = *cfg;
        /* optional ports get defaults here, not NULL checks where they are used */
        if (!g->cfg.now_s)
                g->cfg.now_s = wall_clock_s;
        if (!g->cfg.revocations.ops)
                g->cfg.revocations = (struct auth_revocations){.ops = &no_revocations};
        pthread_mutex_init(&g->cache_lock, NULL);
        *ret_guard = g;
        return 0;
}

void auth_guard_free(struct auth_guard *g)
{
        if (!g)
                return;
        for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++)
                free(g->cache[i].token);
        pthread_mutex_destroy(&g->cache_lock);
        free(g);
}

static size_t token_slot(const char *token)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (; *token; token++)
                h = (h ^ (unsigned char)*token) * 1099511628211ull;
        return (size_t)(h % TOKEN_CACHE_SLOTS);
}

static bool cache_lookup(struct auth_guard *g, const char *token, int64_t now,
                         struct auth_principal *ret)
{
        struct token_cache_entry *e = &g->cache[token_slot(token)];
        bool hit = false;
        pthread_mutex_lock(&g->cache_lock);
        if (e->token && !strcmp(e->token, token) &&
            now <= e->principal.expires_at + g->cfg.params.leeway_s) {
                *ret = e->principal;
                hit = true;
        }
        pthread_mutex_unlock(&g->cache_lock);
        return hit;
}

static void cache_store(struct auth_guard *g, const char *token, const struct auth_principal *p)
{
        if (strlen(token) > TOKEN_CACHE_MAX_TOKEN)
                return;
        char *copy = strdup(token);
        if (!copy)
                return;
        struct token_cache_entry *e = &g->cache[token_slot(token)];
        pthread_mutex_lock(&g->cache_lock);
        char *old = e->token;
        e->token = copy;
        e->principal = *p;
        pthread_mutex_unlock(&g->cache_lock);
        free(old);
}

/* Health and reflection are infrastructure: public, and they look at no
 * credentials at all (grpcurl sends its -H headers on reflection calls too,
 * so an expired token would otherwise break `grpcurl list`). */
static bool infrastructure(const char *method)
{
        return !strncmp(method, "/grpc.health.v1.Health/", 23) ||
               !strncmp(method, "/grpc.reflection.", 17);
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
        for (unsigned bit = 1; bit <= ROLE_SERVICE; bit <<= 1)
                if (roles & bit)
                        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " or " : "",
                                 role_name(bit));
        return 0;
}

int auth_guard_check(struct auth_guard *g, const char *header, struct auth_principal *ret,
                     char *message, size_t message_len)
{
        memset(ret, 0, sizeof(*ret));
        const char *token = bearer_token(header);
        if (!token) {
                if (!header)
                        return RPC_OK; /* anonymous */
                snprintf(message, message_len, "authorization must be 'Bearer <token>'");
                return RPC_UNAUTHENTICATED;
        }
        const char *reason = NULL;
        int64_t now = g->cfg.now_s();
        if (!cache_lookup(g, token, now, ret)) {
                if (auth_jwt_verify(g->cfg.keys, &g->cfg.params, token, now, ret, &reason) < 0) {
                        memset(ret, 0, sizeof(*ret));
                        snprintf(message, message_len, "invalid token: %s", reason);
                        return RPC_UNAUTHENTICATED;
                }
                cache_store(g, token, ret);
        }
        bool revoked = false;
        int r = g->cfg.revocations.ops->check(g->cfg.revocations.self, ret, &revoked);
        if (r < 0) {
                log_msg(LOG_WARN, "revocation store unreachable: refusing the call", "{s:i}",
                        "error", r);
                snprintf(message, message_len, "cannot check the token right now; retry later");
                return RPC_UNAVAILABLE;
        }
        if (revoked) {
                snprintf(message, message_len, "invalid token: revoked");
                return RPC_UNAUTHENTICATED;
        }
        return RPC_OK;
}

static int guard_intercept(struct rpc_call *call, void *userdata)
{
        struct auth_guard *g = userdata;
        const char *method = rpc_call_method(call);
        if (infrastructure(method))
                return rpc_call_proceed(call);
        unsigned roles = rpc_call_method_roles(call);
        bool is_public = roles & AUTH_PUBLIC;
        if (!roles) {
                log_msg(LOG_ERROR, "no auth policy for method: refused", "{s:s}", "method", method);
                return rpc_error(call, RPC_PERMISSION_DENIED, "method not available");
        }
        const char *header = rpc_call_metadata(call, "authorization");
        if (!header) {
                if (is_public)
                        return rpc_call_proceed(call);
                return rpc_error(call, RPC_UNAUTHENTICATED,
                                 "missing authorization: send 'authorization: Bearer <token>'");
        }
        /* a token that is sent must be valid, even on a public method */
        struct auth_principal *p = rpc_call_alloc(call, sizeof(*p));
        if (!p)
                return rpc_out_of_memory(call);
        char message[160];
        int code = auth_guard_check(g, header, p, message, sizeof(message));
        if (code != RPC_OK) {
                if (code == RPC_UNAVAILABLE)
                        log_msg(LOG_WARN, "the call refused: tokens cannot be checked", "{s:s}",
                                "method", method);
                return rpc_error(call, code, "%s", message);
        }
        if (!is_public && !(roles & p->role)) {
                char need[64];
                roles_text(roles, need, sizeof(need));
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
