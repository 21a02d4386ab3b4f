/* The gateway's use case: one REST request in, its JSON answer out. The
 * routes are the contract's google.api.http rules (from the codec); a
 * request is matched, rate-limited, its token checked, transcoded to the
 * route's gRPC method, sent to its service, and the answer (or the gRPC
 * status) transcoded back. */
#pragma once

#include "gateway-ports.h"
#include "route.h"

struct gateway_route {
        char http_method[8];
        char path[160];
        struct route_template tpl;
        char body[64];
        char grpc_method[160];
        char request_type[160], response_type[160];
        bool server_streaming;
};

struct gateway_app {
        struct gateway_codec codec;
        struct gateway_backend backend;
        struct gateway_tokens tokens;   /* ops NULL: not checked here */
        struct gateway_limiter limiter; /* ops NULL: no limit */
        struct gateway_route *routes;
        size_t n_routes;
};

/* Reads the routes from the codec: 0, or -EINVAL naming the route it cannot
 * serve. */
int gateway_app_load(struct gateway_app *app, char *err, size_t err_len);
void gateway_app_free(struct gateway_app *app);

struct gateway_request {
        const char *method;                   /* "GET" */
        const char *path;                     /* without the query */
        const struct proto_json_param *query; /* decoded */
        size_t n_query;
        const char *body;
        size_t body_len;
        const char *authorization, *traceparent;
        const char *client; /* who the rate limit counts: the peer address */
};

struct gateway_reply {
        int http_status;
        int grpc_code;
        char *json; /* malloc'd: the response message, or {"code","status","message"} */
        const struct gateway_route *route; /* NULL when none matched */
        char allow[64];                    /* a 405's: the methods the path has, "GET, POST" */
};

/* Always fills *ret (json NULL only when memory ran out: answer 500). */
void gateway_serve(struct gateway_app *app, const struct gateway_request *req,
                   struct gateway_reply *ret);
/* Streaming routes (server-sent events). gateway_is_stream: whether the
 * request is for one. gateway_open: the stream, or NULL with *ret filled
 * (a refusal, or the call ending before its first message).
 * gateway_stream_next: 1 with the next event's text (malloc'd), 0 at the
 * end; an error ending the stream is a last "event: error". */
struct gateway_stream;
bool gateway_is_stream(struct gateway_app *app, const char *method, const char *path);
struct gateway_stream *gateway_open(struct gateway_app *app, const struct gateway_request *req,
                                    struct gateway_reply *ret);
int gateway_stream_next(struct gateway_stream *s, char **ret_event);
void gateway_stream_close(struct gateway_stream *s); /* accepts NULL */

/* The error body for a gRPC code and message (malloc'd; NULL: no memory). */
char *gateway_error_json(int grpc_code, const char *message);
