/* Private to libs/svc: the handle behind struct svc, and the metrics half
 * (svc-metrics.c) that svc.c drives. */
#pragma once

#include "svc/svc.h"

struct svc {
        struct svc_options opts;
        /* read from the environment by svc_new */
        struct rpc_server_config rpc;
        struct db_config db_cfg;
        struct kv_config kv_cfg;
        struct auth_token_params token_params;
        long startup_wait_s, probe_ms, retention_interval_ms;
        struct auth_keyset *keys;
        /* opened by svc_connect, started by svc_consume and svc_build */
        struct db_pool *db;
        struct kv *kv;
        struct events_relay *relay;
        struct events_consumer *consumer;
        struct svc_server srv;
        /* metrics (svc-metrics.c): the registry a service may add its own to */
        struct metrics *metrics;
        bool metrics_on;
        const char *metrics_addr;
        char metrics_default_addr[32];
        struct metrics_http *metrics_http;
        struct svc_metrics *rpc_metrics;
        struct svc_chores *chores; /* svc-chores.c */
};

/* Stops the chores' thread (waiting for a chore in progress). */
void svc_chores_stop(struct svc *s);

int svc_metrics_init(struct svc *s, char *err, size_t err_len);
int svc_metrics_observe(struct svc *s);
int svc_metrics_serve(struct svc *s, char *err, size_t err_len);
void svc_metrics_free(struct svc *s);
