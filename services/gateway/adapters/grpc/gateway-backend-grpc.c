/* See gateway-backend-grpc.h. */
#include "gateway-backend-grpc.h"

#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *target_of(const struct gateway_backend_grpc *ctx, const char *grpc_method)
{
        for (size_t i = 0; i < ctx->n_targets; i++) {
                size_t n = strlen(ctx->targets[i].package);
                if (!strncmp(grpc_method + 1, ctx->targets[i].package, n) &&
                    grpc_method[1 + n] == '.')
                        return ctx->targets[i].target;
        }
        return NULL;
}

/* The client call for call: target, method, the caller's authorization,
 * trace context and address (md holds them), the timeout. -ENOENT: no target. */
enum { CALL_METADATA = 3 };
static int client_call(const struct gateway_backend_grpc *ctx, const struct gateway_call *call,
                       int timeout_ms, struct rpc_metadata md[CALL_METADATA],
                       struct rpc_client_call *ret)
{
        const char *target = target_of(ctx, call->grpc_method);
        if (!target)
                return -ENOENT;
        size_t n = 0;
        if (call->authorization)
                md[n++] = (struct rpc_metadata){"authorization", call->authorization};
        if (call->traceparent)
                md[n++] = (struct rpc_metadata){"traceparent", call->traceparent};
        if (call->client && *call->client) /* this proxy's word for who the client is */
                md[n++] = (struct rpc_metadata){"x-forwarded-for", call->client};
        *ret = (struct rpc_client_call){.target = target,
                                        .method = call->grpc_method,
                                        .timeout_ms = timeout_ms,
                                        .metadata = md,
                                        .n_metadata = n};
        return 0;
}

static int grpc_unary(void *self, const struct gateway_call *call, const void *request, size_t len,
                      void **ret_bytes, size_t *ret_len, int *ret_code, char *message,
                      size_t message_len)
{
        const struct gateway_backend_grpc *ctx = self;
        struct rpc_metadata md[CALL_METADATA];
        struct rpc_client_call c;
        int r = client_call(ctx, call, ctx->timeout_ms, md, &c);
        if (r < 0)
                return r;
        struct rpc_client_status status;
        r = rpc_client_unary_bytes(ctx->client, &c, request, len, ret_bytes, ret_len, &status);
        if (r < 0)
                return r;
        *ret_code = status.code;
        snprintf(message, message_len, "%s", status.message);
        return 0;
}

static int grpc_stream_open(void *self, const struct gateway_call *call, const void *request,
                            size_t len, void **ret_stream, int *ret_code, char *message,
                            size_t message_len)
{
        const struct gateway_backend_grpc *ctx = self;
        struct rpc_metadata md[CALL_METADATA];
        struct rpc_client_call c;
        int r = client_call(ctx, call, ctx->stream_timeout_ms, md, &c);
        if (r < 0)
                return r;
        struct rpc_client_status status;
        struct rpc_client_stream *s = NULL;
        r = rpc_client_stream_open(ctx->client, &c, request, len, &s, &status);
        if (r == 1) {
                *ret_code = status.code;
                snprintf(message, message_len, "%s", status.message);
        }
        *ret_stream = s;
        return r;
}

static int grpc_stream_next(void *self, void *stream, void **ret_bytes, size_t *ret_len,
                            int *ret_code, char *message, size_t message_len)
{
        (void)self;
        struct rpc_client_status status;
        int r = rpc_client_stream_next(stream, ret_bytes, ret_len, &status);
        if (r == 0) {
                *ret_code = status.code;
                snprintf(message, message_len, "%s", status.message);
        }
        return r;
}

static void grpc_stream_close(void *self, void *stream)
{
        (void)self;
        rpc_client_stream_close(stream);
}

static const struct gateway_backend_ops backend_grpc_ops = {.unary = grpc_unary,
                                                            .stream_open = grpc_stream_open,
                                                            .stream_next = grpc_stream_next,
                                                            .stream_close = grpc_stream_close};

struct gateway_backend gateway_backend_grpc(struct gateway_backend_grpc *ctx)
{
        return (struct gateway_backend){.ops = &backend_grpc_ops, .self = ctx};
}
