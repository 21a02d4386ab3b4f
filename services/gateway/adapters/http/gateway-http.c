/* See gateway-http.h. */
#include "gateway-http.h"

#include "core/forwarded.h"

#include "core/clock.h"
#include "core/log.h"
#include "gateway-rules.h"
#include "metrics/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_QUERY = 64, QUERY_KEY_MAX = 128, QUERY_VALUE_MAX = 1024 };

struct gateway_http {
        struct MHD_Daemon *daemon;
        struct gateway_app *app;
        struct gateway_http_config cfg;
        struct metric_family *requests, *seconds;
};

/* One request's state across libmicrohttpd's calls. */
struct pending {
        char *body;
        size_t len;
        bool too_large;
        int64_t started_ms;
};

struct query {
        char keys[MAX_QUERY][QUERY_KEY_MAX];
        char values[MAX_QUERY][QUERY_VALUE_MAX];
        struct proto_json_param params[MAX_QUERY];
        size_t n;
        const char *bad; /* why the query cannot be read */
};

/* The path and the query are decoded here, once (route.c, with '+' as a
 * space in the query only): libmicrohttpd's own decoding would turn an
 * escaped '/' inside a path variable into a separator. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
        (void)cls;
        (void)c;
        return strlen(s);
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
        (void)kind;
        struct query *q = cls;
        if (q->n == MAX_QUERY) {
                q->bad = "at most 64 query parameters";
                return MHD_NO;
        }
        if (route_percent_decode(key, strlen(key), true, q->keys[q->n], QUERY_KEY_MAX) < 0 ||
            route_percent_decode(value ? value : "", value ? strlen(value) : 0, true,
                                 q->values[q->n], QUERY_VALUE_MAX) < 0) {
                q->bad = "a query parameter is malformed or too long (keys up to 127 bytes, "
                         "values up to 1023)";
                return MHD_NO;
        }
        q->params[q->n] = (struct proto_json_param){q->keys[q->n], q->values[q->n]};
        q->n++;
        return MHD_YES;
}

/* Who the client is: the peer, or what a trusted proxy's X-Forwarded-For
 * says (core/forwarded.h, the rule identity applies to what we pass on). */
static void client_of(struct gateway_http *h, struct MHD_Connection *conn, char *out, size_t len)
{
        char peer[INET6_ADDRSTRLEN] = "";
        const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info && info->client_addr && info->client_addr->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)info->client_addr)->sin_addr, peer,
                          sizeof(peer));
        else if (info && info->client_addr && info->client_addr->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)info->client_addr)->sin6_addr,
                          peer, sizeof(peer));
        forwarded_client(peer,
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"),
                         h->cfg.trusted_proxies, out, len);
}

static void add_cors(struct MHD_Response *resp, const char *origin)
{
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Vary", "Origin");
}

/* Queues status with body (taken; NULL: an empty body) as content_type. */
/* ... with an Allow header (a 405's methods; NULL: none). */
static enum MHD_Result reply_allow(struct MHD_Connection *conn, unsigned status, char *body,
                                   const char *content_type, const char *cors_origin,
                                   const char *allow);

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
                             const char *content_type, const char *cors_origin)
{
        return reply_allow(conn, status, body, content_type, cors_origin, NULL);
}

static enum MHD_Result reply_allow(struct MHD_Connection *conn, unsigned status, char *body,
                                   const char *content_type, const char *cors_origin,
                                   const char *allow)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                body ? strlen(body) : 0, body ? body : (void *)"",
                body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        if (body)
                MHD_add_response_header(resp, "Content-Type", content_type);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        if (cors_origin)
                add_cors(resp, cors_origin);
        if (allow && *allow) /* RFC 9110: a 405 says what is allowed */
                MHD_add_response_header(resp, "Allow", allow);
        enum MHD_Result r = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static char *dup_text(const char *s)
{
        size_t n = strlen(s) + 1;
        char *p = malloc(n);
        if (p)
                memcpy(p, s, n);
        return p;
}

/* The method as a metric label: one of a fixed set, so a client sending
 * made-up methods cannot make new series (each costs memory and /metrics). */
static const char *method_label(const char *method)
{
        static const char *const known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                            "PATCH", "DELETE", "OPTIONS"};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (!strcmp(method, known[i]))
                        return known[i];
        return "other";
}

static void account(struct gateway_http *h, const char *method, const char *url, const char *route,
                    unsigned status, int64_t started_ms, const char *client)
{
        double seconds = (double)(clock_realtime_ms() - started_ms) / 1000.0;
        char code[8];
        snprintf(code, sizeof(code), "%u", status);
        const char *labels[] = {route, method_label(method), code};
        const char *route_only[] = {route};
        if (h->requests)
                metric_inc(metric_child(h->requests, labels), 1);
        if (h->seconds)
                metric_observe(metric_child(h->seconds, route_only), seconds);
        log_msg(LOG_INFO, "http", "{s:s, s:s, s:s, s:i, s:f, s:s}", "method", method, "path", url,
                "route", route, "status", (int)status, "duration_ms", seconds * 1000.0, "peer",
                client);
}

/* A stream's events as the response body: each read blocks (in this
 * connection's own thread) until the next event or the end. */
struct event_reader {
        struct gateway_stream *stream;
        char *pending;
        size_t len, at;
};

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
        (void)pos;
        struct event_reader *r = cls;
        if (r->at == r->len) {
                free(r->pending);
                r->pending = NULL;
                r->at = r->len = 0;
                int got = gateway_stream_next(r->stream, &r->pending);
                if (got <= 0)
                        return got == 0 ? MHD_CONTENT_READER_END_OF_STREAM
                                        : MHD_CONTENT_READER_END_WITH_ERROR;
                r->len = strlen(r->pending);
        }
        size_t n = r->len - r->at < max ? r->len - r->at : max;
        memcpy(buf, r->pending + r->at, n);
        r->at += n;
        return (ssize_t)n;
}

static void free_events(void *cls)
{
        struct event_reader *r = cls;
        gateway_stream_close(r->stream); /* cancels the call if the client went away */
        free(r->pending);
        free(r);
}

static enum MHD_Result stream_reply(struct MHD_Connection *conn, struct gateway_stream *stream,
                                    const char *cors_origin)
{
        struct event_reader *r = calloc(1, sizeof(*r));
        if (!r) {
                gateway_stream_close(stream);
                return MHD_NO;
        }
        r->stream = stream;
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                                                      read_events, r, free_events);
        if (!resp) {
                free_events(r);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "text/event-stream");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* proxies: pass events on */
        if (cors_origin)
                add_cors(resp, cors_origin);
        enum MHD_Result result = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return result;
}

/* The console's file for url ("/" is index.html), or NULL. */
static const struct embedded_file *console_file(const struct gateway_http *h, const char *url)
{
        const char *name = !strcmp(url, "/")               ? "index.html"
                           : !strncmp(url, "/console/", 9) ? url + 9
                                                           : NULL;
        for (const struct embedded_file *f = h->cfg.console; name && f && f->name; f++)
                if (!strcmp(f->name, name))
                        return f;
        return NULL;
}

static const char *content_type_of(const char *name)
{
        const char *dot = strrchr(name, '.');
        return !dot                    ? "application/octet-stream"
               : !strcmp(dot, ".html") ? "text/html; charset=utf-8"
               : !strcmp(dot, ".js")   ? "text/javascript; charset=utf-8"
               : !strcmp(dot, ".css")  ? "text/css; charset=utf-8"
                                       : "application/octet-stream";
}

static enum MHD_Result static_reply(struct MHD_Connection *conn, const struct embedded_file *f)
{
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Content-Type", content_type_of(f->name));
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
        /* the console talks to this origin only; no inline scripts */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; "
                                "object-src 'none'; frame-ancestors 'none'");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result dispatch(struct gateway_http *h, struct MHD_Connection *conn,
                                const char *url, const char *method, struct pending *p)
{
        char client[64];
        client_of(h, conn, client, sizeof(client));
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        const char *cors = gateway_origin_allowed(h->cfg.cors_origins, origin) ? origin : NULL;
        unsigned status;
        enum MHD_Result r;
        const char *route = "none";
        if (!strcmp(method, "OPTIONS")) { /* a browser's preflight */
                struct MHD_Response *resp =
                        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
                if (!resp)
                        return MHD_NO;
                status = cors ? MHD_HTTP_NO_CONTENT : MHD_HTTP_FORBIDDEN;
                if (cors) {
                        add_cors(resp, cors);
                        MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                                "GET, POST, PUT, PATCH, DELETE");
                        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                                "authorization, content-type, traceparent");
                        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
                }
                r = MHD_queue_response(conn, status, resp);
                MHD_destroy_response(resp);
        } else if (!strcmp(method, "GET") && console_file(h, url)) {
                status = MHD_HTTP_OK;
                route = "console";
                r = static_reply(conn, console_file(h, url));
        } else if (!strcmp(method, "GET") && !strcmp(url, "/healthz")) {
                status = MHD_HTTP_OK;
                r = reply(conn, status, dup_text("{\"status\":\"SERVING\"}"), "application/json",
                          cors);
        } else if (!strcmp(method, "GET") && !strcmp(url, "/metrics") && h->cfg.metrics) {
                size_t len;
                status = MHD_HTTP_OK;
                r = reply(conn, status, metrics_render(h->cfg.metrics, &len),
                          "text/plain; version=0.0.4; charset=utf-8", NULL);
        } else if (!strcmp(method, "GET") && !strcmp(url, "/openapi.json")) {
                status = MHD_HTTP_OK;
                r = reply(conn, status, dup_text(h->cfg.openapi_json), "application/json", cors);
        } else if (p->too_large) {
                char why[96];
                snprintf(why, sizeof(why), "the request body is larger than %zu bytes",
                         h->cfg.max_body_bytes);
                status = MHD_HTTP_CONTENT_TOO_LARGE;
                r = reply(conn, status, gateway_error_json(8, why), "application/json", cors);
        } else {
                struct query *q = calloc(1, sizeof(*q));
                if (!q)
                        return MHD_NO;
                MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, q);
                struct gateway_reply out;
                if (q->bad) {
                        out = (struct gateway_reply){.http_status = 400,
                                                     .json = gateway_error_json(3, q->bad)};
                } else {
                        struct gateway_request req = {
                                .method = method,
                                .path = url,
                                .query = q->params,
                                .n_query = q->n,
                                .body = p->body,
                                .body_len = p->len,
                                .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                             "Authorization"),
                                .traceparent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                           "traceparent"),
                                .client = client,
                        };
                        if (gateway_is_stream(h->app, method, url)) {
                                struct gateway_stream *st = gateway_open(h->app, &req, &out);
                                if (st) {
                                        free(q);
                                        account(h, method, url, out.route->path, 200, p->started_ms,
                                                client);
                                        return stream_reply(conn, st, cors);
                                }
                        } else {
                                gateway_serve(h->app, &req, &out);
                        }
                }
                free(q);
                if (out.route)
                        route = out.route->path;
                status = out.json ? (unsigned)out.http_status : 500;
                r = reply_allow(conn, status, out.json, "application/json", cors, out.allow);
        }
        account(h, method, url, route, status, p->started_ms, client);
        return r;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
        (void)version;
        struct gateway_http *h = cls;
        struct pending *p = *con_cls;
        if (!p) { /* the headers: look at the announced size before any body */
                if (!(p = calloc(1, sizeof(*p))))
                        return MHD_NO;
                p->started_ms = clock_realtime_ms();
                const char *length =
                        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
                if (length && strtoull(length, NULL, 10) > h->cfg.max_body_bytes)
                        p->too_large = true;
                *con_cls = p;
                return MHD_YES;
        }
        if (*upload_size) {
                if (!p->too_large && p->len + *upload_size > h->cfg.max_body_bytes) {
                        p->too_large = true; /* chunked, or a length that lied */
                } else if (!p->too_large) {
                        char *more = realloc(p->body, p->len + *upload_size + 1);
                        if (!more)
                                return MHD_NO;
                        memcpy(more + p->len, upload_data, *upload_size);
                        p->body = more;
                        p->len += *upload_size;
                        p->body[p->len] = '\0';
                }
                *upload_size = 0;
                return MHD_YES;
        }
        return dispatch(h, conn, url, method, p);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        (void)cls;
        (void)conn;
        (void)toe;
        struct pending *p = *con_cls;
        if (p) {
                free(p->body);
                free(p);
                *con_cls = NULL;
        }
}

int gateway_http_start(struct gateway_http **ret, struct gateway_app *app,
                       const struct gateway_http_config *cfg, int *ret_port)
{
        struct sockaddr_in sa;
        if (metrics_http_parse_addr(cfg->addr, &sa) < 0)
                return -EINVAL;
        struct gateway_http *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->app = app;
        h->cfg = *cfg;
        static const char *const request_labels[] = {"route", "method", "code", NULL};
        static const char *const route_label[] = {"route", NULL};
        static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        if (cfg->metrics) {
                h->requests = metrics_counter(cfg->metrics, "bookstore_gateway_requests_total",
                                              "REST requests by route template, method and "
                                              "HTTP status",
                                              request_labels);
                h->seconds = metrics_histogram(
                        cfg->metrics, "bookstore_gateway_request_duration_seconds",
                        "REST request latency by route template", route_label, bounds,
                        sizeof(bounds) / sizeof(bounds[0]));
        }
        h->daemon = MHD_start_daemon(
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                answer, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT,
                cfg->max_connections, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
        if (!h->daemon) {
                free(h);
                return -EADDRINUSE;
        }
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
        *ret_port = info ? (int)info->port : 0;
        *ret = h;
        return 0;
}

void gateway_http_stop(struct gateway_http *h)
{
        if (!h)
                return;
        MHD_stop_daemon(h->daemon);
        free(h);
}
