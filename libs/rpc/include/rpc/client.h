/* libs/rpc client: unary calls to other services over cached channels.
 *
 * One rpc_client per process is enough: channels are cached per target and
 * shared, and every function is safe to call from many threads at once.
 * Used by the saga coordinator to drive the other services. */
#pragma once

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

struct rpc_client;

struct rpc_metadata {
        const char *key; /* lower case, e.g. "authorization", "traceparent" */
        const char *value;
};

struct rpc_client_call {
        const char *target; /* "127.0.0.1:50051" */
        const char *method; /* "/bookstore.order.v1.OrderService/GetOrder" */
        const ProtobufCMessage *request;
        const ProtobufCMessageDescriptor *response_type;
        ProtobufCAllocator *allocator; /* for the response; NULL: malloc */
        int timeout_ms;                /* <= 0: no deadline; made while serving a call,
                                          never past that call's deadline (propagated) */
        const struct rpc_metadata *metadata;
        size_t n_metadata;
};

struct rpc_client_status {
        int code;          /* enum rpc_code */
        char message[512]; /* the server's status message, possibly truncated */
        bool not_sent;     /* UNAVAILABLE, and the request certainly never left:
                              no connection could be made (see rpc-client.c) */
};

int rpc_client_new(struct rpc_client **ret_client);
/* Accepts NULL. No call may be in flight. */
void rpc_client_free(struct rpc_client *c);

/* Performs the call. Returns 0 when the call completed (whatever its status:
 * see ret_status->code) or a negative errno when it could not be made. On
 * RPC_OK, *ret_response is the decoded response (free it with
 * protobuf_c_message_free_unpacked when allocator is NULL). */
int rpc_client_unary(struct rpc_client *c, const struct rpc_client_call *call,
                     ProtobufCMessage **ret_response, struct rpc_client_status *ret_status);

/* A unary call on behalf of a caller: their `authorization` header value
 * (none when NULL) goes along. 0 with *ret_response (free it with
 * protobuf_c_message_free_unpacked) when the peer answered OK; otherwise
 * *ret_response is NULL and the result is the peer's status as
 * rpc_client_status_errno maps it, or the errno of a call not made. */
int rpc_client_unary_as(struct rpc_client *c, const char *target, const char *method,
                        const ProtobufCMessage *request,
                        const ProtobufCMessageDescriptor *response_type, const char *authorization,
                        int timeout_ms, ProtobufCMessage **ret_response);

/* A peer's status as the errno adapters return: OK 0, NOT_FOUND -ENOENT,
 * UNAVAILABLE/DEADLINE_EXCEEDED -ECONNREFUSED (retry later), anything else
 * -EREMOTEIO: the peer refused (PERMISSION_DENIED, INVALID_ARGUMENT, ...).
 * rpc_client_unary_as then keeps that status as this thread's
 * rpc_client_refusal(), the way errno keeps a reason, so that the server
 * answering the call it works for passes the peer's status on unchanged
 * (rpc_error_errno) instead of squeezing it into UNAVAILABLE or INTERNAL. */
int rpc_client_status_errno(const struct rpc_client_status *status);
/* rpc_client_unary with the request already encoded and the response left
 * encoded (a proxy's view; call->request and response_type are not used). On
 * RPC_OK, *ret_bytes (free() it) holds *ret_len bytes. */
int rpc_client_unary_bytes(struct rpc_client *c, const struct rpc_client_call *call,
                           const void *request, size_t len, void **ret_bytes, size_t *ret_len,
                           struct rpc_client_status *ret_status);

/* A server-streaming call with an encoded request (call->request and
 * response_type are not used). 0 with *ret open; 1 when it ended before
 * any message could come (*ret_status says how: a refusal, a deadline);
 * a negative errno when it could not be made. */
struct rpc_client_stream;
int rpc_client_stream_open(struct rpc_client *c, const struct rpc_client_call *call,
                           const void *request, size_t len, struct rpc_client_stream **ret,
                           struct rpc_client_status *ret_status);
/* Waits for the next message: 1 with *ret_bytes (free() it) of *ret_len
 * bytes; 0 when the stream ended, with its status in *ret_status; a
 * negative errno. */
int rpc_client_stream_next(struct rpc_client_stream *s, void **ret_bytes, size_t *ret_len,
                           struct rpc_client_status *ret_status);
/* Cancels the call if it has not ended, and frees it. Accepts NULL. */
void rpc_client_stream_close(struct rpc_client_stream *s);

/* The last refusal rpc_client_unary_as met on this thread; NULL when none
 * since rpc_client_refusal_clear. */
const struct rpc_client_status *rpc_client_refusal(void);
void rpc_client_refusal_clear(void);
