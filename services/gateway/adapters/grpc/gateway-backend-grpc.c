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

static int grpc_unary(void *self, const struct gateway_call *call, const void *request,
                      size_t len, void **ret_bytes, size_t *ret_len, int *ret_code,
                      char *message, size_t message_len)
{
        const struct gateway_backend_grpc *ctx = self;
        const char *target = target_of(ctx, call->grpc_method);
        if (!target)
                return -ENOENT;
        struct rpc_metadata md[2];
        size_t n = 0;
        if (call->authorization)
                md[n++] = (struct rpc_metadata){"authorization", call->authorization};
        if (call->traceparent)
                md[n++] = (struct rpc_metadata){"traceparent", call->traceparent};
        struct rpc_client_call c = {.target = target,
                                    .method = call->grpc_method,
                                    .timeout_ms = ctx->timeout_ms,
                                    .metadata = md,
                                    .n_metadata = n};
        struct rpc_client_status status;
        int r = rpc_client_unary_bytes(ctx->client, &c, request, len, ret_bytes, ret_len,
                                       &status);
        if (r < 0)
                return r;
        *ret_code = status.code;
        snprintf(message, message_len, "%s", status.message);
        return 0;
}

static const struct gateway_backend_ops backend_grpc_ops = {.unary = grpc_unary};

struct gateway_backend gateway_backend_grpc(struct gateway_backend_grpc *ctx)
{
        return (struct gateway_backend){.ops = &backend_grpc_ops, .self = ctx};
}
