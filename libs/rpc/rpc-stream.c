/* Streaming calls: each runs on a thread of its own with a completion queue
 * of its own, so the handler can block on reads and writes without holding a
 * worker. See rpc/rpc.h. */
#include "rpc-int.h"

#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *msg_alloc_cb(void *data, size_t size)
{
        return arena_alloc(data, size);
}

static void msg_free_cb(void *data, void *ptr)
{
}

/* Waits until `want` completes, noting the close event if it comes first.
 * Returns the op's success; false on timeout (timeout_ms < 0: no timeout). */
static bool stream_wait(struct rpc_stream *s, struct rpc_tag *want, int timeout_ms)
{
        gpr_timespec deadline =
                timeout_ms < 0 ? gpr_inf_future(GPR_CLOCK_REALTIME)
                               : gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                              gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
        for (;;) {
                grpc_event ev = grpc_completion_queue_next(s->cq, deadline, NULL);
                if (ev.type != GRPC_OP_COMPLETE)
                        return false;
                if (ev.tag == &s->tag_close)
                        s->closed = true;
                if (ev.tag == want) {
                        if (want == &s->tag_read)
                                s->read_done = true;
                        return ev.success;
                }
        }
}

static bool start_batch(struct rpc_stream *s, grpc_op *ops, size_t n, struct rpc_tag *tag)
{
        return grpc_call_start_batch(s->call->call, ops, n, tag, NULL) == GRPC_CALL_OK;
}

int rpc_stream_read(struct rpc_stream *s, ProtobufCMessage **ret_msg)
{
        struct rpc_call *c = s->call;
        if (s->read_failed)
                return 0;
        grpc_byte_buffer *bb = NULL;
        s->read_done = false;
        grpc_op op = {.op = GRPC_OP_RECV_MESSAGE, .data.recv_message.recv_message = &bb};
        if (!start_batch(s, &op, 1, &s->tag_read)) {
                s->read_failed = true;
                return -rpc_error(c, RPC_CANCELLED, "call cancelled");
        }
        int64_t idle = c->server->cfg.stream_idle_ms;
        bool ok = stream_wait(s, &s->tag_read, idle > 0 ? (int)idle : -1);
        if (!ok && idle > 0 && !s->read_done) { /* nothing came: close it, then collect the op */
                grpc_call_cancel_with_status(c->call, GRPC_STATUS_DEADLINE_EXCEEDED,
                                             "the stream was idle too long", NULL);
                stream_wait(s, &s->tag_read, -1);
                if (bb)
                        grpc_byte_buffer_destroy(bb);
                s->read_failed = true;
                return -rpc_error(c, RPC_DEADLINE_EXCEEDED,
                                  "no message for %lld ms: the stream was closed", (long long)idle);
        }
        if (!ok) {
                s->read_failed = true;
                return -rpc_error(c, RPC_CANCELLED, "call cancelled");
        }
        if (!bb) { /* the client half-closed */
                s->read_failed = true;
                return 0;
        }
        arena_reset(s->msg_arena);
        ProtobufCMessage *msg = NULL;
        int code = rpc_call_decode(c, c->method->desc->input, &s->msg_allocator, bb, &msg);
        grpc_byte_buffer_destroy(bb);
        if (code != RPC_OK)
                return -code;
        *ret_msg = msg;
        return 1;
}

static bool send_initial_metadata_op(struct rpc_stream *s, grpc_op *op)
{
        if (s->initial_metadata_sent)
                return false;
        memset(op, 0, sizeof(*op));
        op->op = GRPC_OP_SEND_INITIAL_METADATA;
        s->initial_metadata_sent = true;
        return true;
}

int rpc_stream_write(struct rpc_stream *s, const ProtobufCMessage *msg)
{
        if (s->call->reply_alloc_failed)
                return -rpc_error(s->call, RPC_RESOURCE_EXHAUSTED,
                                  "out of memory building a message (the call's arena is "
                                  "BOOKSTORE_RPC_ARENA_MAX_BYTES)");
        grpc_op ops[2];
        memset(ops, 0, sizeof(ops));
        size_t n = send_initial_metadata_op(s, &ops[0]) ? 1 : 0;
        grpc_byte_buffer *bb = rpc_encode(msg);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = bb;
        bool ok = start_batch(s, ops, n, &s->tag_write) && stream_wait(s, &s->tag_write, -1);
        grpc_byte_buffer_destroy(bb);
        return ok ? 0 : -RPC_CANCELLED;
}

bool rpc_stream_wait_cancelled(struct rpc_stream *s, int timeout_ms)
{
        struct rpc_server *srv = s->call->server;
        /* wake up regularly to notice the server stopping */
        const int slice_ms = 50;
        if (!s->closed) /* take in a close that already came, without waiting */
                stream_wait(s, &s->tag_close, 0);
        for (int waited = 0;; waited += slice_ms) {
                if (atomic_load(&srv->stopping) || rpc_call_cancelled(s->call) || s->closed)
                        return true;
                if (waited >= timeout_ms)
                        return false;
                int step = timeout_ms - waited < slice_ms ? timeout_ms - waited : slice_ms;
                stream_wait(s, &s->tag_close, step);
        }
}

static void stream_finish(struct rpc_stream *s)
{
        struct rpc_call *c = s->call;
        if (c->status < 0 || c->status > RPC_UNAUTHENTICATED)
                c->status = RPC_UNKNOWN;
        c->status_details =
                grpc_slice_from_copied_string(c->status == RPC_OK ? "" : c->status_message);
        grpc_op ops[2];
        memset(ops, 0, sizeof(ops));
        size_t n = send_initial_metadata_op(s, &ops[0]) ? 1 : 0;
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status = (grpc_status_code)c->status;
        ops[n++].data.send_status_from_server.status_details = &c->status_details;
        if (start_batch(s, ops, n, &s->tag_status))
                stream_wait(s, &s->tag_status, -1);
        if (!s->closed)
                stream_wait(s, &s->tag_close, -1);
}

static void *stream_main(void *arg)
{
        struct rpc_call *c = arg;
        struct rpc_stream *s = c->stream;
        struct rpc_server *srv = c->server;

        grpc_op close_op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER,
                            .data.recv_close_on_server.cancelled = &s->close_cancelled};
        if (start_batch(s, &close_op, 1, &s->tag_close)) {
                c->status = rpc_call_run_handler(c);
                stream_finish(s);
        } else {
                c->status = rpc_error(c, RPC_INTERNAL, "could not start the stream");
        }
        rpc_call_log(c);

        grpc_call_unref(c->call);
        c->call = NULL;
        rpc_cq_destroy(s->cq);
        arena_free(s->msg_arena);
        rpc_streams_release(srv, c); /* before the call is freed: it reads the call's peer */
        rpc_call_free(c);
        return NULL;
}

/* An admitted stream that could not start: its slot back, then refused. */
static void stream_abort(struct rpc_call *c, grpc_completion_queue *cq)
{
        if (c->stream)
                arena_free(c->stream->msg_arena);
        rpc_streams_release(c->server, c);
        rpc_stream_refuse(c, cq, "server could not start a stream");
}

void rpc_stream_refuse(struct rpc_call *c, grpc_completion_queue *cq, const char *why)
{
        c->status = rpc_error(c, RPC_RESOURCE_EXHAUSTED, "%s", why);
        grpc_call_cancel_with_status(c->call, GRPC_STATUS_RESOURCE_EXHAUSTED, why, NULL);
        rpc_call_log(c);
        grpc_call_unref(c->call);
        c->call = NULL;
        rpc_cq_destroy(cq);
        rpc_call_free(c);
}

void rpc_stream_start(struct rpc_call *c, grpc_completion_queue *cq)
{
        struct rpc_stream *s = arena_zalloc(c->arena, sizeof(*s));
        if (!s || arena_new(&s->msg_arena, c->server->cfg.arena_max_bytes) < 0) {
                stream_abort(c, cq);
                return;
        }
        c->stream = s;
        s->call = c;
        s->cq = cq;
        s->tag_read.kind = s->tag_write.kind = s->tag_status.kind = s->tag_close.kind =
                RPC_TAG_STREAM_OP;
        s->msg_allocator = (ProtobufCAllocator){
                .alloc = msg_alloc_cb, .free = msg_free_cb, .allocator_data = s->msg_arena};

        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        int r = pthread_create(&thread, &attr, stream_main, c);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                log_msg(LOG_ERROR, "could not start a stream thread", "{s:i}", "errno", r);
                stream_abort(c, cq);
        }
}
