/* The metrics every service serves: calls per method and status code, their
 * latency, calls in flight (an rpc observer), the database pool and Redis
 * errors (read at scrape time), and the process. See svc/svc.h. */
#include "svc-int.h"

#include "core/config.h"
#include "core/log.h"
#include "metrics/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct svc_metrics {
        struct metric_family *handled, *seconds, *in_flight;
};

/* Latency buckets, in seconds: 0.5 ms .. 10 s. */
static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};

/* "/pkg.Svc/Method" -> "pkg.Svc", "Method"; anything else is "unknown". */
static void split_path(const char *path, char *service, size_t slen, char *method, size_t mlen)
{
        const char *slash = path && path[0] == '/' ? strchr(path + 1, '/') : NULL;
        if (!slash || (size_t)(slash - path - 1) >= slen || strlen(slash + 1) >= mlen) {
                snprintf(service, slen, "unknown");
                snprintf(method, mlen, "unknown");
                return;
        }
        snprintf(service, slen, "%.*s", (int)(slash - path - 1), path + 1);
        snprintf(method, mlen, "%s", slash + 1);
}

static void call_started(void *userdata, const char *path)
{
        struct svc_metrics *sm = userdata;
        char service[128], method[128];
        split_path(path, service, sizeof(service), method, sizeof(method));
        const char *labels[] = {service, method};
        metric_gauge_add(metric_child(sm->in_flight, labels), 1);
}

static void call_finished(void *userdata, const char *path, int code, double seconds, bool ran)
{
        struct svc_metrics *sm = userdata;
        char service[128], method[128];
        split_path(path, service, sizeof(service), method, sizeof(method));
        const char *labels[] = {service, method, rpc_code_name(code)};
        if (ran)
                metric_gauge_add(metric_child(sm->in_flight, labels), -1);
        metric_inc(metric_child(sm->handled, labels), 1);
        metric_observe(metric_child(sm->seconds, labels), seconds);
}

static void collect_consumer(struct events_consumer *consumer, struct metrics_writer *w)
{
        struct events_consumer_stats st;
        events_consumer_stats(consumer, &st);
        char labels[256];
        metrics_write_family(w, "bookstore_consumer_lag",
                             "Events on the assigned partitions this consumer group has not "
                             "processed yet (-1 until known).",
                             "gauge");
        snprintf(labels, sizeof(labels), "group=\"%s\"", st.group_id);
        metrics_write_sample(w, "bookstore_consumer_lag", labels, (double)st.lag);
        metrics_write_family(w, "bookstore_consumer_events_total",
                             "Events consumed, by result: applied, duplicate (already processed), "
                             "ignored (no handler), parked (malformed or refused).",
                             "counter");
        const struct {
                const char *result;
                uint64_t n;
        } results[] = {{"applied", st.applied},
                       {"duplicate", st.duplicates},
                       {"ignored", st.ignored},
                       {"parked", st.parked}};
        for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
                snprintf(labels, sizeof(labels), "group=\"%s\",result=\"%s\"", st.group_id,
                         results[i].result);
                metrics_write_sample(w, "bookstore_consumer_events_total", labels,
                                     (double)results[i].n);
        }
}

static void collect_dependencies(void *userdata, struct metrics_writer *w)
{
        struct svc *c = userdata;
        char labels[64];
        if (c->db) {
                struct db_pool_stats st;
                db_pool_stats(c->db, &st);
                metrics_write_family(w, "bookstore_db_pool_connections",
                                     "Database connections of the pool, by state.", "gauge");
                snprintf(labels, sizeof(labels), "state=\"open\"");
                metrics_write_sample(w, "bookstore_db_pool_connections", labels, st.open);
                snprintf(labels, sizeof(labels), "state=\"in_use\"");
                metrics_write_sample(w, "bookstore_db_pool_connections", labels, st.in_use);
                metrics_write_family(w, "bookstore_db_pool_waiting",
                                     "Threads waiting for a database connection.", "gauge");
                metrics_write_sample(w, "bookstore_db_pool_waiting", "", st.waiting);
        }
        if (c->relay) {
                struct events_relay_stats st;
                events_relay_stats(c->relay, &st);
                metrics_write_family(w, "bookstore_outbox_backlog",
                                     "Outbox events not yet acknowledged by Kafka.", "gauge");
                metrics_write_sample(w, "bookstore_outbox_backlog", "", (double)st.backlog);
                metrics_write_family(w, "bookstore_outbox_relay_lag_seconds",
                                     "Age of the oldest unsent outbox event.", "gauge");
                metrics_write_sample(w, "bookstore_outbox_relay_lag_seconds", "",
                                     (double)st.oldest_unsent_ms / 1000.0);
                metrics_write_family(w, "bookstore_outbox_published_total",
                                     "Outbox events Kafka acknowledged.", "counter");
                metrics_write_sample(w, "bookstore_outbox_published_total", "",
                                     (double)st.published);
        }
        if (c->consumer)
                collect_consumer(c->consumer, w);
        if (c->kv) {
                metrics_write_family(w, "bookstore_redis_errors_total",
                                     "Redis commands that failed (unreachable, timed out, error "
                                     "reply).",
                                     "counter");
                metrics_write_sample(w, "bookstore_redis_errors_total", "",
                                     (double)kv_error_count(c->kv));
        }
}

/* Reads BOOKSTORE_METRICS and BOOKSTORE_<NAME>_METRICS_ADDR (default: port
 * 9100 + the last two digits of the gRPC port, e.g. 50053 -> 9103) and makes
 * the registry with the families every service has. */
int svc_metrics_init(struct svc *c, char *err, size_t err_len)
{
        const char *name = c->opts.name, *default_addr = c->opts.default_addr;
        struct cfg_error e = {{0}};
        char env[96];
        const char *colon = strrchr(default_addr, ':');
        long grpc_port = colon ? strtol(colon + 1, NULL, 10) : 0;
        snprintf(c->metrics_default_addr, sizeof(c->metrics_default_addr), "0.0.0.0:%ld",
                 grpc_port > 50050 && grpc_port < 50100 ? 9100 + grpc_port - 50050 : 9100);
        snprintf(env, sizeof(env), "BOOKSTORE_%s_METRICS_ADDR", name);
        if (cfg_bool("BOOKSTORE_METRICS", true, &c->metrics_on, &e) < 0 ||
            cfg_string(env, c->metrics_default_addr, &c->metrics_addr, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        struct svc_metrics *sm = calloc(1, sizeof(*sm));
        if (!sm || metrics_new(&c->metrics) < 0) {
                free(sm);
                return -ENOMEM;
        }
        c->rpc_metrics = sm;
        static const char *const call_labels[] = {"grpc_service", "grpc_method", "grpc_code", NULL};
        static const char *const method_labels[] = {"grpc_service", "grpc_method", NULL};
        sm->handled = metrics_counter(c->metrics, "grpc_server_handled_total",
                                      "RPCs completed on the server, by method and status code.",
                                      call_labels);
        sm->seconds = metrics_histogram(c->metrics, "grpc_server_handling_seconds",
                                        "Time from receiving an RPC to its status, in seconds, by "
                                        "method and status code.",
                                        call_labels, latency_bounds,
                                        sizeof(latency_bounds) / sizeof(latency_bounds[0]));
        sm->in_flight = metrics_gauge(c->metrics, "bookstore_rpc_in_flight",
                                      "RPCs whose handler is running, by method.", method_labels);
        if (!sm->handled || !sm->seconds || !sm->in_flight ||
            metrics_add_collector(c->metrics, collect_dependencies, c) < 0 ||
            metrics_add_process_collector(c->metrics) < 0)
                return -ENOMEM;
        return 0;
}

int svc_metrics_observe(struct svc *c)
{
        if (!c->metrics_on)
                return 0;
        struct rpc_call_observer obs = {
                .started = call_started, .finished = call_finished, .userdata = c->rpc_metrics};
        return rpc_server_set_observer(c->srv.server, &obs);
}

int svc_metrics_serve(struct svc *c, char *err, size_t err_len)
{
        if (!c->metrics_on)
                return 0;
        int port = 0;
        int r = metrics_http_start(&c->metrics_http, c->metrics, c->metrics_addr, &port);
        if (r < 0) {
                snprintf(err, err_len, "cannot serve metrics on %s: %s", c->metrics_addr,
                         r == -EINVAL ? "expected host:port" : strerror(-r));
                return r == -EINVAL ? -EINVAL : r;
        }
        printf("metrics on port %d\n", port); /* for scripts, before "listening on port" */
        fflush(stdout);
        log_msg(LOG_INFO, "metrics", "{s:s, s:i}", "addr", c->metrics_addr, "port", port);
        return 0;
}

void svc_metrics_free(struct svc *c)
{
        metrics_http_stop(c->metrics_http);
        metrics_free(c->metrics);
        free(c->rpc_metrics);
        c->metrics_http = NULL;
        c->metrics = NULL;
        c->rpc_metrics = NULL;
}
