/* A server-streaming call from the client side (rpc/client.h): the request
 * sent at once, then one blocking receive per message, then the status. */
#include "rpc-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rpc_client_stream {
        struct rpc_client_started started;
        bool finished;
};

/* Runs one batch and waits for it. */
static bool run(struct rpc_client_stream *s, grpc_op *ops, size_t n)
{
        int tag;
        if (grpc_call_start_batch(s->started.call, ops, n, &tag, NULL) != GRPC_CALL_OK)
                return false;
        grpc_event ev = grpc_completion_queue_pluck(s->started.cq, &tag,
                                                    gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static void status_of(struct rpc_client_stream *s, struct rpc_client_status *ret)
{
        grpc_metadata_array trailing;
        grpc_metadata_array_init(&trailing);
        grpc_status_code status = GRPC_STATUS_UNKNOWN;
        grpc_slice details = grpc_empty_slice();
        const char *error_string = NULL;
        grpc_op op = {.op = GRPC_OP_RECV_STATUS_ON_CLIENT};
        op.data.recv_status_on_client.trailing_metadata = &trailing;
        op.data.recv_status_on_client.status = &status;
        op.data.recv_status_on_client.status_details = &details;
        op.data.recv_status_on_client.error_string = &error_string;
        if (!run(s, &op, 1))
                status = GRPC_STATUS_INTERNAL;
        ret->code = (int)status;
        snprintf(ret->message, sizeof(ret->message), "%.*s", (int)GRPC_SLICE_LENGTH(details),
                 (const char *)GRPC_SLICE_START_PTR(details));
        ret->not_sent = rpc_client_never_connected(ret->code, ret->message);
        gpr_free((void *)error_string);
        grpc_slice_unref(details);
        grpc_metadata_array_destroy(&trailing);
        s->finished = true;
}

int rpc_client_stream_open(struct rpc_client *c, const struct rpc_client_call *call,
                           const void *request, size_t len, struct rpc_client_stream **ret,
                           struct rpc_client_status *ret_status)
{
        *ret = NULL;
        struct rpc_client_stream *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        int r = rpc_client_begin(c, call, &s->started, ret_status);
        if (r != 0) {
                free(s);
                return r < 0 ? r : 1;
        }
        grpc_slice slice = grpc_slice_from_copied_buffer(request, len);
        grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
        grpc_slice_unref(slice);
        grpc_metadata_array initial;
        grpc_metadata_array_init(&initial);
        grpc_op ops[4];
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[0].data.send_initial_metadata.count = s->started.n_md;
        ops[0].data.send_initial_metadata.metadata = s->started.md;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = bb;
        ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
        bool sent = run(s, ops, 4);
        grpc_byte_buffer_destroy(bb);
        grpc_metadata_array_destroy(&initial);
        if (!sent) { /* the server answered with its status alone */
                status_of(s, ret_status);
                rpc_client_stream_close(s);
                return 1;
        }
        *ret = s;
        return 0;
}

int rpc_client_stream_next(struct rpc_client_stream *s, void **ret_bytes, size_t *ret_len,
                           struct rpc_client_status *ret_status)
{
        if (s->finished)
                return 0;
        grpc_byte_buffer *bb = NULL;
        grpc_op op = {.op = GRPC_OP_RECV_MESSAGE};
        op.data.recv_message.recv_message = &bb;
        if (!run(s, &op, 1) || !bb) { /* the stream ended: its status */
                status_of(s, ret_status);
                return 0;
        }
        int r = rpc_byte_buffer_take(bb, ret_bytes, ret_len);
        return r < 0 ? r : 1;
}

void rpc_client_stream_close(struct rpc_client_stream *s)
{
        if (!s)
                return;
        if (!s->finished) { /* cancelled: the server sees CANCELLED and lets go */
                grpc_call_cancel(s->started.call, NULL);
                struct rpc_client_status ignored;
                status_of(s, &ignored);
        }
        rpc_client_end(&s->started);
        free(s);
}
