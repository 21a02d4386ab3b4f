/* Shared service assembly; see svc/svc.h. */
#include "svc/svc.h"

#include "auth/revocation-redis.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const unsigned char bookstore_contract_descriptors[];
extern const size_t bookstore_contract_descriptors_len;

int svc_server_build(struct svc_server *s, const struct rpc_server_config *cfg,
                     const struct svc_server_spec *spec, char *err, size_t err_len)
{
        s->guard_cfg = (struct auth_guard_config){
                .keys = spec->keys,
                .params = spec->token_params,
                .policies = spec->policies,
                .n_policies = spec->n_policies,
                .revocations = auth_revocations_redis(spec->revocations),
        };
        int r = auth_guard_new(&s->guard, &s->guard_cfg);
        if (r < 0)
                return r;
        const char *unguarded = auth_guard_find_unguarded(s->guard, spec->service, NULL);
        if (unguarded) {
                snprintf(err, err_len, "no auth policy for %s", unguarded);
                return -EINVAL;
        }
        struct rpc_interceptor guard = auth_guard_interceptor(s->guard);
        if ((r = rpc_server_new(&s->server, cfg)) < 0 ||
            (r = rpc_server_add_interceptor(s->server, &guard)) < 0 ||
            (r = spec->register_service(s->server, spec->app)) < 0 ||
            (r = rpc_server_enable_health(s->server)) < 0 ||
            (r = rpc_server_add_health_probe(s->server, spec->service->name, db_health_probe,
                                             spec->db, spec->probe_interval_ms)) < 0 ||
            (r = rpc_server_enable_reflection(s->server, bookstore_contract_descriptors,
                                              bookstore_contract_descriptors_len)) < 0)
                return r;
        return 0;
}

void svc_server_free(struct svc_server *s)
{
        rpc_server_free(s->server);
        auth_guard_free(s->guard);
        s->server = NULL;
        s->guard = NULL;
}

int svc_exit_code(const char *service, int r, const char *err)
{
        if (r == 0) {
                log_msg(LOG_INFO, "stopped", NULL);
                return 0;
        }
        const char *why = err && *err ? err : strerror(r < 0 ? -r : EIO);
        fprintf(stderr, "%s: %s\n", service, why);
        log_msg(LOG_ERROR, r == -EINVAL ? "invalid configuration" : "start-up failed", "{s:s}",
                "error", why);
        return r == -EINVAL ? 2 : 1;
}
