/* Shared service assembly; see svc/svc.h. */
#include "svc-int.h"

#include "core/config.h"
#include "core/log.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char bookstore_contract_descriptors[];
extern const size_t bookstore_contract_descriptors_len;

int svc_server_build(struct svc_server *s, const struct rpc_server_config *cfg,
                     const struct svc_server_spec *spec, char *err, size_t err_len)
{
        struct auth_revocation_sync_config sync;
        if (auth_revocation_sync_config_from_env(&sync, err, err_len) < 0)
                return -EINVAL;
        int r = auth_revocation_set_start(&s->revocation_set, spec->revocations, &sync);
        if (r < 0)
                return r;
        s->guard_cfg = (struct auth_guard_config){
                .keys = spec->keys,
                .params = spec->token_params,
                .revocations = auth_revocations_synced(s->revocation_set),
        };
        if ((r = auth_guard_new(&s->guard, &s->guard_cfg)) < 0)
                return r;
        struct rpc_interceptor guard = auth_guard_interceptor(s->guard);
        if ((r = rpc_server_new(&s->server, cfg)) < 0 ||
            (r = rpc_server_add_interceptor(s->server, &guard)) < 0 ||
            (r = spec->register_service(s->server, spec->app)) < 0)
                return r;
        const char *unguarded = rpc_server_unguarded_method(s->server);
        if (unguarded) {
                snprintf(err, err_len, "no roles for %s in its method table", unguarded);
                return -EINVAL;
        }
        if ((r = rpc_server_enable_health(s->server)) < 0 ||
            /* "liveness": the process answers, whatever its dependencies do (a
             * restart would not bring a database back; readiness follows it) */
            (r = rpc_health_set(s->server, SVC_LIVENESS, true)) < 0 ||
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
        auth_revocation_set_stop(s->revocation_set);
        s->server = NULL;
        s->guard = NULL;
        s->revocation_set = NULL;
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

/* Blocks of 256 KiB or more are mapped for themselves and unmapped when
 * freed. glibc's default threshold rises to the size of any big block once
 * freed, after which such blocks come from the worker threads' heaps and
 * stay there: a burst of listings (a page of orders is 7 MB while built) left
 * a service hundreds of MB bigger for good. MALLOC_MMAP_THRESHOLD_ in the
 * environment still wins. */
static void keep_big_blocks_out_of_the_heaps(void)
{
        if (!getenv("MALLOC_MMAP_THRESHOLD_"))
                mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

int svc_new(struct svc **ret_svc, const struct svc_options *opts, char *err, size_t err_len)
{
        keep_big_blocks_out_of_the_heaps();
        /* the access log's line per call is written off the call's thread */
        int r = log_start_background_writer();
        if (r < 0) {
                snprintf(err, err_len, "cannot start the log writer: %s", strerror(-r));
                return r;
        }
        struct svc *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->opts = *opts;
        char addr_env[96], db_prefix[96], pool_env[128];
        snprintf(addr_env, sizeof(addr_env), "BOOKSTORE_%s_ADDR", opts->name);
        snprintf(db_prefix, sizeof(db_prefix), "BOOKSTORE_%s_DB", opts->name);
        snprintf(pool_env, sizeof(pool_env), "%s_POOL_SIZE", db_prefix);
        struct cfg_error e = {{0}};
        r = -EINVAL;
        if (rpc_server_config_from_env(&c->rpc, addr_env, opts->default_addr, err, err_len) < 0 ||
            db_config_from_env(&c->db_cfg, db_prefix, opts->default_db, err, err_len) < 0 ||
            kv_config_from_env(&c->kv_cfg, "BOOKSTORE_REDIS", err, err_len) < 0 ||
            auth_token_params_from_env(&c->token_params, err, err_len) < 0)
                goto fail;
        if (opts->default_workers && !cfg_is_set("BOOKSTORE_RPC_WORKERS"))
                c->rpc.workers = opts->default_workers;
        if (opts->default_db_pool && !cfg_is_set(pool_env))
                c->db_cfg.pool_size = opts->default_db_pool;
        if (cfg_int("BOOKSTORE_DB_STARTUP_WAIT_S", 30, 0, 600, &c->startup_wait_s, &e) < 0 ||
            cfg_int("BOOKSTORE_HEALTH_PROBE_INTERVAL_MS", 2000, 10, 600000, &c->probe_ms, &e) < 0 ||
            cfg_int("BOOKSTORE_RETENTION_INTERVAL_MS", 600000, 0, 86400000,
                    &c->retention_interval_ms, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                goto fail;
        }
        if ((r = svc_metrics_init(c, err, err_len)) < 0)
                goto fail;
        if (auth_keyset_new(&c->keys) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        if (auth_keyset_from_env(c->keys, opts->wants_signing_key, err, err_len) < 0) {
                r = -EINVAL;
                goto fail;
        }
        *ret_svc = c;
        return 0;
fail:
        svc_free(c);
        return r;
}

int svc_connect(struct svc *c, const struct db_migration *migrations, size_t n, char *err,
                size_t err_len)
{
        int r;
        if ((r = db_pool_new(&c->db, &c->db_cfg)) < 0 || (r = kv_new(&c->kv, &c->kv_cfg)) < 0 ||
            (r = db_migrate_wait(c->db, migrations, n, c->startup_wait_s, err, err_len)) < 0)
                return r;
        const char *brokers = getenv("KAFKA_BROKERS");
        if (!c->opts.publishes_events || !brokers || !*brokers)
                return 0;
        struct events_relay_config relay_cfg;
        if ((r = events_relay_config_from_env(&relay_cfg, err, err_len)) < 0)
                return r;
        return events_relay_start(&c->relay, c->db, &relay_cfg, err, err_len);
}

int svc_consume(struct svc *c, const char *default_group, const char *const *topics,
                size_t n_topics, const struct events_handler *handlers, size_t n_handlers,
                char *err, size_t err_len)
{
        const char *brokers = getenv("KAFKA_BROKERS");
        if (!brokers || !*brokers) {
                log_msg(LOG_WARN, "KAFKA_BROKERS is not set: consuming no events", NULL);
                return 0;
        }
        struct events_consumer_config cfg;
        int r = events_consumer_config_from_env(&cfg, default_group, err, err_len);
        return r < 0 ? r
                     : events_consumer_start(&c->consumer, c->db, &cfg, topics, n_topics, handlers,
                                             n_handlers, err, err_len);
}

int svc_build(struct svc *c, struct svc_server_spec *spec, char *err, size_t err_len)
{
        spec->keys = c->keys;
        spec->token_params = c->token_params;
        spec->revocations = c->kv;
        spec->db = c->db;
        spec->probe_interval_ms = (int)c->probe_ms;
        int r = svc_server_build(&c->srv, &c->rpc, spec, err, err_len);
        return r < 0 ? r : svc_metrics_observe(c);
}

int svc_run(struct svc *c, char *err, size_t err_len)
{
        int r = svc_metrics_serve(c, err, err_len);
        return r < 0 ? r : rpc_server_run(c->srv.server, err, err_len);
}

void svc_free(struct svc *c)
{
        if (!c)
                return;
        svc_chores_stop(c); /* before what its chores use */
        svc_server_free(&c->srv);
        events_consumer_stop(c->consumer); /* both before the pool they use */
        events_relay_stop(c->relay);
        kv_free(c->kv);
        db_pool_free(c->db);
        auth_keyset_free(c->keys);
        svc_metrics_free(c);
        free(c);
}

struct db_pool *svc_db(const struct svc *s)
{
        return s->db;
}

struct kv *svc_kv(const struct svc *s)
{
        return s->kv;
}

const struct auth_keyset *svc_keys(const struct svc *s)
{
        return s->keys;
}

const struct auth_token_params *svc_token_params(const struct svc *s)
{
        return &s->token_params;
}

struct metrics *svc_metrics(const struct svc *s)
{
        return s->metrics;
}
