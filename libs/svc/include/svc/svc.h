/* libs/svc: the parts every bookstore service's main() shares -- a gRPC
 * server with the auth guard first (refusing to start if a method has no
 * policy), the service itself, health with a database probe, and reflection
 * over the contract; and the exit-code convention (2: bad configuration,
 * 1: could not start, 0: stopped by a signal). */
#pragma once

#include "auth/guard.h"
#include "auth/revocation-synced.h"
#include "db/db.h"
#include "events/consumer.h"
#include "events/relay.h"
#include "kv/kv.h"
#include "metrics/metrics.h"
#include "rpc/rpc.h"

/* The health service name that only says the process answers (Kubernetes
 * liveness); "" and the service's own name follow its database (readiness). */
#define SVC_LIVENESS "liveness"

struct svc_server_spec {
        const ProtobufCServiceDescriptor *service;
        int (*register_service)(struct rpc_server *server, void *app);
        void *app;
        const struct auth_keyset *keys;
        struct auth_token_params token_params;
        struct kv *revocations; /* Redis holding revoked tokens */
        struct db_pool *db;     /* health follows it */
        int probe_interval_ms;
};

struct svc_server {
        struct rpc_server *server;
        struct auth_guard *guard;
        struct auth_guard_config guard_cfg;
        struct auth_revocation_set *revocation_set; /* the guard's in-process copy */
};

/* -EINVAL with a message in err when a method has no auth policy or
 * BOOKSTORE_REVOCATION_* is invalid (auth/revocation-synced.h). */
int svc_server_build(struct svc_server *s, const struct rpc_server_config *cfg,
                     const struct svc_server_spec *spec, char *err, size_t err_len);
void svc_server_free(struct svc_server *s); /* fields may be NULL */

/* What every service reads, opens and frees the same way: one handle, made
 * from the options below, whose internals are private (svc-int.h). */
struct svc;

struct svc_options {
        const char *name;         /* "CATALOG": BOOKSTORE_CATALOG_ADDR, _DB_*, _METRICS_ADDR */
        const char *default_addr; /* "0.0.0.0:50052" */
        const char *default_db;   /* "bookstore_catalog" */
        bool wants_signing_key;   /* identity: the token signing key too */
        bool publishes_events;    /* writes an outbox: svc_connect starts its relay */
        /* this service's own defaults where they differ from the libraries'
         * (0: theirs); the environment still wins */
        int default_workers, default_db_pool;
};

/* Reads BOOKSTORE_<NAME>_ADDR, BOOKSTORE_<NAME>_DB_*, BOOKSTORE_REDIS_*, the JWT
 * settings and keys, BOOKSTORE_DB_STARTUP_WAIT_S,
 * BOOKSTORE_HEALTH_PROBE_INTERVAL_MS, BOOKSTORE_RETENTION_INTERVAL_MS, and BOOKSTORE_METRICS /
 * BOOKSTORE_<NAME>_METRICS_ADDR (the metrics registry is made here, so a
 * service can add its own families before running). -EINVAL with a message
 * naming the variable; *ret_svc is set only on success. */
int svc_new(struct svc **ret_svc, const struct svc_options *opts, char *err, size_t err_len);
/* Opens the database pool and Redis, applies the migrations (waiting for the
 * database up to BOOKSTORE_DB_STARTUP_WAIT_S), and starts the outbox relay
 * of a service that publishes events (when KAFKA_BROKERS is set; until then
 * its events wait in the outbox). */
int svc_connect(struct svc *s, const struct db_migration *migrations, size_t n, char *err,
                size_t err_len);
/* Starts the service's event consumer on its topics (after svc_connect; the
 * service's migrations include the consumer tables) when KAFKA_BROKERS is
 * set; BOOKSTORE_CONSUMER_GROUP overrides default_group. */
int svc_consume(struct svc *s, const char *default_group, const char *const *topics,
                size_t n_topics, const struct events_handler *handlers, size_t n_handlers,
                char *err, size_t err_len);
/* svc_server_build with the common parts; spec->keys, token_params,
 * revocations, db and probe interval are filled in from s. */
int svc_build(struct svc *s, struct svc_server_spec *spec, char *err, size_t err_len);
/* Serves metrics (GET /metrics, printing "metrics on port N") and gRPC until
 * SIGTERM (rpc_server_run). */
int svc_run(struct svc *s, char *err, size_t err_len);
/* Retention's pruning: run(ctx) every BOOKSTORE_RETENTION_INTERVAL_MS
 * (600000; 0: never), first one interval after it is added, on one thread
 * shared by the service's chores, until svc_free. A negative result is
 * logged and it runs again at its next time. At most 8 per service. */
int svc_add_retention(struct svc *s, const char *name, int (*run)(void *ctx), void *ctx);
/* Accepts NULL. */
void svc_free(struct svc *s);

/* What the service's adapters are wired to; valid until svc_free. db and kv
 * after svc_connect. */
struct db_pool *svc_db(const struct svc *s);
struct kv *svc_kv(const struct svc *s);
const struct auth_keyset *svc_keys(const struct svc *s);
const struct auth_token_params *svc_token_params(const struct svc *s);
struct metrics *svc_metrics(const struct svc *s);

/* Reports a start-up failure (stderr and the log) and returns the exit code:
 * 2 for -EINVAL (configuration), 1 otherwise; 0 for r == 0. */
int svc_exit_code(const char *service, int r, const char *err);
