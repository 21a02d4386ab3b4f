/* Ports of the gateway: the codec (proto3 JSON <-> protobuf and the routes
 * of the contract; adapters/json, protobuf's C++ implementation), the
 * backend (the services' gRPC methods; adapters/grpc, libs/rpc), the token
 * check (libs/auth's guard) and the rate limiter (libs/kv, Redis). */
#pragma once

#include "proto-json.h"

#include <stdbool.h>
#include <stddef.h>

struct gateway_codec_ops {
        int (*routes)(void *self, int (*fn)(void *userdata, const struct proto_json_route *r),
                      void *userdata);
        /* proto_json_request's contract */
        int (*request)(void *self, const char *type, const char *body, const char *json,
                       size_t json_len, const struct proto_json_param *params, size_t n, void **ret,
                       size_t *ret_len, char *err, size_t err_len);
        /* proto_json_response's */
        int (*response)(void *self, const char *type, const void *bytes, size_t len,
                        char **ret_json);
};
struct gateway_codec {
        const struct gateway_codec_ops *ops;
        void *self;
};

/* What a backend call needs besides its bytes. */
struct gateway_call {
        const char *grpc_method;   /* "/bookstore.catalog.v1.CatalogService/GetBook" */
        const char *authorization; /* forwarded as is; NULL: none */
        const char *traceparent;   /* W3C trace context from the client; NULL: a new trace */
        const char *client;        /* the client's address (core/forwarded.h), passed on as
                                      x-forwarded-for: identity's per-address limits count it */
};

struct gateway_backend_ops {
        /* 0 with the gRPC status in *ret_code (and message), the response's
         * bytes (free()) on OK; a negative errno when the call could not be
         * made (answered UNAVAILABLE). */
        int (*unary)(void *self, const struct gateway_call *call, const void *request, size_t len,
                     void **ret_bytes, size_t *ret_len, int *ret_code, char *message,
                     size_t message_len);
        /* A server-streaming call: 0 with *ret_stream open; 1 when it ended
         * before its first message (the status in *ret_code and message); a
         * negative errno when it could not be made. */
        int (*stream_open)(void *self, const struct gateway_call *call, const void *request,
                           size_t len, void **ret_stream, int *ret_code, char *message,
                           size_t message_len);
        /* 1 with the next message's bytes (free()); 0 at the end, with the
         * status; a negative errno. Blocks until one of them. */
        int (*stream_next)(void *self, void *stream, void **ret_bytes, size_t *ret_len,
                           int *ret_code, char *message, size_t message_len);
        void (*stream_close)(void *self, void *stream); /* cancels an unfinished one */
};
struct gateway_backend {
        const struct gateway_backend_ops *ops;
        void *self;
};

struct gateway_tokens_ops {
        /* The guard's verdict on an authorization header (NULL: none): a
         * gRPC code, 0 when the call may go on (roles are the services'). */
        int (*check)(void *self, const char *authorization, char *message, size_t message_len);
};
struct gateway_tokens {
        const struct gateway_tokens_ops *ops;
        void *self;
};

struct gateway_limiter_ops {
        /* *ret_allowed for one more request of this client now; a negative
         * errno when the limiter cannot say (the request is let through). */
        int (*allow)(void *self, const char *client, bool *ret_allowed);
};
struct gateway_limiter {
        const struct gateway_limiter_ops *ops;
        void *self;
};
