/* See gateway-app.h. */
#include "gateway-app.h"

#include "core/utf8.h"

#include "core/status.h"
#include "gateway-rules.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
        GRPC_OK = 0,
        GRPC_INVALID_ARGUMENT = 3,
        GRPC_NOT_FOUND = 5,
        GRPC_RESOURCE_EXHAUSTED = 8,
        GRPC_UNIMPLEMENTED = 12,
        GRPC_UNAVAILABLE = 14
};

struct load {
        struct gateway_app *app;
        size_t cap;
        char *err;
        size_t err_len;
};

static int add_route(void *userdata, const struct proto_json_route *r)
{
        struct load *l = userdata;
        struct gateway_app *app = l->app;
        if (app->n_routes == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                struct gateway_route *more = realloc(app->routes, cap * sizeof(*more));
                if (!more)
                        return -ENOMEM;
                app->routes = more;
                l->cap = cap;
        }
        struct gateway_route *g = &app->routes[app->n_routes];
        memset(g, 0, sizeof(*g));
        char why[128];
        if (route_parse(r->path, &g->tpl, why, sizeof(why)) < 0 ||
            snprintf(g->path, sizeof(g->path), "%s", r->path) >= (int)sizeof(g->path)) {
                snprintf(l->err, l->err_len, "route %s %s of %s: %s", r->http_method, r->path,
                         r->grpc_method, why);
                return -EINVAL;
        }
        snprintf(g->http_method, sizeof(g->http_method), "%s", r->http_method);
        snprintf(g->body, sizeof(g->body), "%s", r->body);
        snprintf(g->grpc_method, sizeof(g->grpc_method), "%s", r->grpc_method);
        snprintf(g->request_type, sizeof(g->request_type), "%s", r->request_type);
        snprintf(g->response_type, sizeof(g->response_type), "%s", r->response_type);
        g->server_streaming = r->server_streaming;
        app->n_routes++;
        return 0;
}

int gateway_app_load(struct gateway_app *app, char *err, size_t err_len)
{
        struct load l = {.app = app, .err = err, .err_len = err_len};
        app->routes = NULL;
        app->n_routes = 0;
        int r = app->codec.ops->routes(app->codec.self, add_route, &l);
        if (r < 0) {
                gateway_app_free(app);
                if (r == -ENOMEM)
                        snprintf(err, err_len, "out of memory loading the routes");
        }
        return r;
}

void gateway_app_free(struct gateway_app *app)
{
        free(app->routes);
        app->routes = NULL;
        app->n_routes = 0;
}

char *gateway_error_json(int grpc_code, const char *message)
{
        json_t *o = json_pack("{s:i, s:s, s:s}", "code", grpc_code, "status",
                              grpc_status_name(grpc_code), "message", message ? message : "");
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return text;
}

static void fail(struct gateway_reply *ret, int grpc_code, const char *message)
{
        ret->grpc_code = grpc_code;
        ret->http_status = gateway_http_status(grpc_code);
        ret->json = gateway_error_json(grpc_code, message);
}

/* Adds method to a list like "GET, POST" unless it is there. */
static void add_method(char allow[64], const char *method)
{
        size_t n = strlen(method);
        for (const char *p = allow; (p = strstr(p, method)); p += n)
                if ((p == allow || (p - allow >= 2 && p[-2] == ',')) &&
                    (p[n] == '\0' || p[n] == ','))
                        return;
        size_t used = strlen(allow);
        snprintf(allow + used, 64 - used, "%s%s", used ? ", " : "", method);
}

/* The most specific route for method and path; *ret_other_method when the
 * path matched only routes of other methods (allow: theirs). */
static const struct gateway_route *match(struct gateway_app *app, const char *method,
                                         const char *path, struct route_binding *bindings,
                                         size_t *n_bindings, bool *ret_other_method, char allow[64])
{
        const struct gateway_route *best = NULL;
        struct route_binding tmp[ROUTE_MAX_VARS];
        size_t n_tmp;
        *ret_other_method = false;
        for (size_t i = 0; i < app->n_routes; i++) {
                const struct gateway_route *r = &app->routes[i];
                if (!route_match(&r->tpl, path, tmp, &n_tmp))
                        continue;
                add_method(allow, r->http_method);
                bool get = !strcmp(r->http_method, "GET");
                if (get)
                        add_method(allow, "HEAD");
                /* HEAD is GET without the body (RFC 9110): the HTTP layer leaves it out */
                if (strcmp(r->http_method, method) && !(get && !strcmp(method, "HEAD"))) {
                        *ret_other_method = true;
                        continue;
                }
                if (!best || r->tpl.n_literals > best->tpl.n_literals) {
                        best = r;
                        memcpy(bindings, tmp, sizeof(tmp));
                        *n_bindings = n_tmp;
                }
        }
        return best;
}

/* What a route's call needs once the request is accepted: the route and
 * the request's bytes (free()); false with ret filled when refused. */
static bool prepare(struct gateway_app *app, const struct gateway_request *req,
                    struct gateway_reply *ret, const struct gateway_route **ret_route,
                    void **ret_request, size_t *ret_len)
{
        memset(ret, 0, sizeof(*ret));
        struct route_binding bindings[ROUTE_MAX_VARS];
        size_t n_bindings = 0;
        bool other_method;
        char message[512];
        const struct gateway_route *route = match(app, req->method, req->path, bindings,
                                                  &n_bindings, &other_method, ret->allow);
        ret->route = route;
        if (!route) {
                snprintf(message, sizeof(message),
                         other_method ? "%s is not allowed on %s; see /openapi.json"
                                      : "no route %s %s; see /openapi.json",
                         req->method, req->path);
                fail(ret, other_method ? GRPC_UNIMPLEMENTED : GRPC_NOT_FOUND, message);
                if (other_method)
                        ret->http_status = 405;
                else
                        ret->allow[0] = '\0';
                return false;
        }
        bool allowed = true;
        if (app->limiter.ops &&
            app->limiter.ops->allow(app->limiter.self, req->client, &allowed) == 0 && !allowed) {
                fail(ret, GRPC_RESOURCE_EXHAUSTED,
                     "too many requests from your address; slow down and retry in a second");
                return false;
        }
        int code = app->tokens.ops ? app->tokens.ops->check(app->tokens.self, req->authorization,
                                                            message, sizeof(message))
                                   : GRPC_OK;
        if (code != GRPC_OK) {
                fail(ret, code, message);
                return false;
        }
        if (req->n_query > 64) {
                fail(ret, GRPC_INVALID_ARGUMENT, "at most 64 query parameters");
                return false;
        }
        if (!gateway_body_utf8(req->body, req->body_len, message, sizeof(message))) {
                fail(ret, GRPC_INVALID_ARGUMENT, message);
                return false;
        }
        struct proto_json_param params[ROUTE_MAX_VARS + 64];
        size_t n = 0;
        for (size_t i = 0; i < n_bindings; i++)
                params[n++] = (struct proto_json_param){bindings[i].field, bindings[i].value};
        for (size_t i = 0; i < req->n_query; i++)
                params[n++] = req->query[i];
        for (size_t i = 0; i < n; i++) /* a value dropped or garbled would change the request */
                if (!utf8_valid(params[i].value, strlen(params[i].value))) {
                        snprintf(message, sizeof(message),
                                 "%s parameter '%.64s' is not valid UTF-8; percent-encode text as "
                                 "UTF-8",
                                 i < n_bindings ? "the path" : "the query", params[i].field);
                        fail(ret, GRPC_INVALID_ARGUMENT, message);
                        return false;
                }
        int r = app->codec.ops->request(app->codec.self, route->request_type, route->body,
                                        req->body, req->body_len, params, n, ret_request, ret_len,
                                        message, sizeof(message));
        if (r < 0) {
                fail(ret, GRPC_INVALID_ARGUMENT,
                     r == -EINVAL ? message : "the request could not be read");
                return false;
        }
        *ret_route = route;
        return true;
}

static void unreachable(struct gateway_reply *ret, const struct gateway_route *route)
{
        char message[256];
        snprintf(message, sizeof(message), "%s cannot be reached; retry shortly",
                 route->grpc_method);
        fail(ret, GRPC_UNAVAILABLE, message);
}

void gateway_serve(struct gateway_app *app, const struct gateway_request *req,
                   struct gateway_reply *ret)
{
        const struct gateway_route *route;
        void *request = NULL, *response = NULL;
        size_t request_len = 0, response_len = 0;
        if (!prepare(app, req, ret, &route, &request, &request_len))
                return;
        if (route->server_streaming) {
                free(request);
                fail(ret, GRPC_UNIMPLEMENTED, "this route is a stream: open it as one");
                return;
        }
        struct gateway_call call = {route->grpc_method, req->authorization, req->traceparent,
                                    req->client};
        char message[512] = "";
        int code = GRPC_OK;
        int r = app->backend.ops->unary(app->backend.self, &call, request, request_len, &response,
                                        &response_len, &code, message, sizeof(message));
        free(request);
        if (r < 0) {
                unreachable(ret, route);
                return;
        }
        if (code != GRPC_OK) {
                free(response);
                fail(ret, code, message);
                return;
        }
        r = app->codec.ops->response(app->codec.self, route->response_type, response, response_len,
                                     &ret->json);
        free(response);
        if (r < 0) {
                fail(ret, 13, "the service's answer could not be turned into JSON");
                return;
        }
        ret->grpc_code = GRPC_OK;
        ret->http_status = 200;
}

struct gateway_stream {
        struct gateway_app *app;
        const struct gateway_route *route;
        void *backend_stream;
        char *first; /* the first message's JSON, read before answering */
        bool ended;
};

bool gateway_is_stream(struct gateway_app *app, const char *method, const char *path)
{
        struct route_binding bindings[ROUTE_MAX_VARS];
        size_t n;
        bool other;
        char allow[64] = "";
        if (!strcmp(method, "HEAD")) /* a stream has no head to give: answered as a call */
                return false;
        const struct gateway_route *r = match(app, method, path, bindings, &n, &other, allow);
        return r && r->server_streaming;
}

/* The next message as JSON: 1 with *ret_json; 0 at the end with *ret_code
 * (OK or the error that ended it) and message. */
static int pull(struct gateway_stream *s, char **ret_json, int *ret_code, char *message,
                size_t message_len)
{
        struct gateway_app *app = s->app;
        void *bytes = NULL;
        size_t len = 0;
        *ret_code = GRPC_OK;
        int r = app->backend.ops->stream_next(app->backend.self, s->backend_stream, &bytes, &len,
                                              ret_code, message, message_len);
        if (r < 0) {
                *ret_code = GRPC_UNAVAILABLE;
                snprintf(message, message_len, "the stream was cut; open it again");
                return 0;
        }
        if (r == 0)
                return 0;
        r = app->codec.ops->response(app->codec.self, s->route->response_type, bytes, len,
                                     ret_json);
        free(bytes);
        if (r < 0) {
                *ret_code = 13;
                snprintf(message, message_len,
                         "the service's answer could not be turned into JSON");
                return 0;
        }
        return 1;
}

struct gateway_stream *gateway_open(struct gateway_app *app, const struct gateway_request *req,
                                    struct gateway_reply *ret)
{
        const struct gateway_route *route;
        void *request = NULL;
        size_t request_len = 0;
        if (!prepare(app, req, ret, &route, &request, &request_len))
                return NULL;
        struct gateway_stream *s = calloc(1, sizeof(*s));
        if (!s) {
                free(request);
                fail(ret, 13, "out of memory");
                return NULL;
        }
        struct gateway_call call = {route->grpc_method, req->authorization, req->traceparent,
                                    req->client};
        char message[512] = "";
        int code = GRPC_OK;
        int r = app->backend.ops->stream_open(app->backend.self, &call, request, request_len,
                                              &s->backend_stream, &code, message, sizeof(message));
        free(request);
        s->app = app;
        s->route = route;
        /* the first message (or the refusal) decides the HTTP status: a saga
         * that does not exist is a 404, not an event stream with an error */
        if (r == 0 && !pull(s, &s->first, &code, message, sizeof(message))) {
                s->ended = true;
                r = code == GRPC_OK ? 0 : 1;
        }
        if (r != 0) {
                if (r >= 0)
                        app->backend.ops->stream_close(app->backend.self, s->backend_stream);
                free(s);
                if (r < 0)
                        unreachable(ret, route);
                else
                        fail(ret, code, message);
                return NULL;
        }
        ret->http_status = 200;
        ret->grpc_code = GRPC_OK;
        return s;
}

/* One server-sent event: "data: <json>\n\n", or with an event name. */
static char *event(const char *name, const char *json)
{
        size_t n = strlen(json) + (name ? strlen(name) : 0) + 32;
        char *text = malloc(n);
        if (text)
                snprintf(text, n, "%s%s%sdata: %s\n\n", name ? "event: " : "", name ? name : "",
                         name ? "\n" : "", json);
        return text;
}

int gateway_stream_next(struct gateway_stream *s, char **ret_event)
{
        char *json = s->first;
        int code = GRPC_OK;
        char message[512] = "";
        s->first = NULL;
        if (!json && (s->ended || !pull(s, &json, &code, message, sizeof(message)))) {
                bool already = s->ended;
                s->ended = true;
                if (already || code == GRPC_OK)
                        return 0;
                json = gateway_error_json(code, message); /* the stream ended with an error */
                *ret_event = json ? event("error", json) : NULL;
                free(json);
                return *ret_event ? 1 : -ENOMEM;
        }
        *ret_event = event(NULL, json);
        free(json);
        return *ret_event ? 1 : -ENOMEM;
}

void gateway_stream_close(struct gateway_stream *s)
{
        if (!s)
                return;
        s->app->backend.ops->stream_close(s->app->backend.self, s->backend_stream);
        free(s->first);
        free(s);
}
