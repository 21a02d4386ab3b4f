/* /metrics over HTTP with libmicrohttpd; see metrics/http.h. */
#include "metrics/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_http {
        struct MHD_Daemon *daemon;
        struct metrics *metrics;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
        (void)version;
        (void)upload_data;
        (void)upload_size;
        (void)con_cls;
        struct metrics_http *h = cls;
        struct MHD_Response *resp;
        unsigned status = MHD_HTTP_OK;
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
                static char refused[] = "only GET\n";
                status = MHD_HTTP_METHOD_NOT_ALLOWED;
                resp = MHD_create_response_from_buffer(strlen(refused), refused,
                                                       MHD_RESPMEM_PERSISTENT);
        } else if (strcmp(url, "/metrics")) {
                static char missing[] = "not found: metrics are at /metrics\n";
                status = MHD_HTTP_NOT_FOUND;
                resp = MHD_create_response_from_buffer(strlen(missing), missing,
                                                       MHD_RESPMEM_PERSISTENT);
        } else {
                size_t len = 0;
                char *text = metrics_render(h->metrics, &len);
                if (!text)
                        return MHD_NO; /* out of memory: drop the connection */
                resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
                if (!resp)
                        free(text);
        }
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Content-Type",
                                status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
                                                      : "text/plain; charset=utf-8");
        enum MHD_Result r = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

int metrics_http_parse_addr(const char *addr, struct sockaddr_in *out)
{
        const char *colon = strrchr(addr, ':');
        char host[64];
        if (!colon || (size_t)(colon - addr) >= sizeof(host))
                return -EINVAL;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port < 0 || port > 65535)
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        out->sin_family = AF_INET;
        out->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &out->sin_addr) != 1)
                return -EINVAL;
        return 0;
}

int metrics_http_start(struct metrics_http **ret, struct metrics *m, const char *addr,
                       int *ret_port)
{
        struct sockaddr_in sa;
        int r = metrics_http_parse_addr(addr, &sa);
        if (r < 0)
                return r;
        struct metrics_http *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->metrics = m;
        h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, answer, h,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
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

void metrics_http_stop(struct metrics_http *h)
{
        if (!h)
                return;
        MHD_stop_daemon(h->daemon);
        free(h);
}
