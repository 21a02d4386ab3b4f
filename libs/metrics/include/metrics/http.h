/* Serves a metrics registry at GET /metrics over HTTP (libmicrohttpd, its
 * own thread). Anything else is 404. */
#pragma once

#include "metrics/metrics.h"

struct metrics_http;

/* addr "host:port" (port 0 picks a free one); *ret_port is the bound port.
 * -EADDRINUSE / -EINVAL / -ENOMEM. */
int metrics_http_start(struct metrics_http **ret, struct metrics *m, const char *addr,
                       int *ret_port);
void metrics_http_stop(struct metrics_http *h); /* accepts NULL */

/* "host:port" (IPv4; "" host: any) as a socket address for libmicrohttpd;
 * -EINVAL when it is not one. Shared with the REST gateway's server. */
struct sockaddr_in;
int metrics_http_parse_addr(const char *addr, struct sockaddr_in *out);
