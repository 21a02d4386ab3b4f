/* The gateway's HTTP server (libmicrohttpd, a thread per connection, so a
 * handler may block on its backend call): the REST routes through the app,
 * CORS for a configured allow-list of origins, a request size limit,
 * /healthz, /metrics and /openapi.json, and one access-log line per
 * request. */
#pragma once

#include "gateway-app.h"
#include "metrics/metrics.h"

/* A file of the web console, embedded at build time (libs/pb/embed-blob.py
 * --table); a table ends with a NULL name. */
struct embedded_file {
        const char *name; /* "console.js" */
        const unsigned char *data;
        size_t len;
};

struct gateway_http_config {
        const char *addr;            /* "0.0.0.0:8080"; port 0 picks one */
        const char *cors_origins;    /* gateway_origin_allowed's list */
        size_t max_body_bytes;       /* larger bodies: 413 */
        unsigned max_connections;    /* and threads */
        const char *openapi_json;    /* served at /openapi.json */
        struct metrics *metrics;     /* served at /metrics; the request counters go there */
        const char *trusted_proxies; /* whose X-Forwarded-For names the client (core/forwarded.h) */
        const struct embedded_file *console; /* / and /console/<name>; NULL: none */
};

struct gateway_http;

/* *ret_port is the bound port. -EADDRINUSE, -EINVAL, -ENOMEM. */
int gateway_http_start(struct gateway_http **ret, struct gateway_app *app,
                       const struct gateway_http_config *cfg, int *ret_port);
void gateway_http_stop(struct gateway_http *h); /* accepts NULL */
