/* One call: context accessors, the interceptor chain, unary decode/encode and
 * the reply batch, and the access log line. See rpc/rpc.h. */
#include "rpc-int.h"
#include "rpc/client.h"

#include "core/cause.h"
#include "core/errors.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "core/utf8.h"

#include <ctype.h>
#include <errno.h>
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rpc_code_name(int code)
{
        return grpc_status_name(code);
}

/* ---- allocator --------------------------------------------------------- */

static void *call_alloc_cb(void *data, size_t size)
{
        struct rpc_call *c = data;
        void *p = arena_alloc(c->arena, size);
        if (!p)
                c->alloc_failed = true;
        return p;
}

static void call_free_cb(void *data, void *ptr)
{
        /* arena memory goes away with the call */
}

/* ---- creation ---------------------------------------------------------- */

/* W3C traceparent: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
 * A call without a valid one starts a new trace. */
static void parse_traceparent(const grpc_metadata_array *md, char trace_id[33])
{
        random_trace_id(trace_id); /* unless the caller's is valid */
        for (size_t i = 0; i < md->count; i++) {
                if (grpc_slice_str_cmp(md->metadata[i].key, "traceparent"))
                        continue;
                const char *v = (const char *)GRPC_SLICE_START_PTR(md->metadata[i].value);
                size_t len = GRPC_SLICE_LENGTH(md->metadata[i].value);
                if (len < 55 || v[2] != '-' || v[35] != '-')
                        return;
                bool zero = true;
                for (int k = 0; k < 32; k++) {
                        char ch = v[3 + k];
                        if (!isxdigit((unsigned char)ch) || isupper((unsigned char)ch))
                                return;
                        zero &= ch == '0';
                }
                if (zero) /* all-zero trace ids are invalid */
                        return;
                memcpy(trace_id, v + 3, 32);
                trace_id[32] = '\0';
                return;
        }
}

static int64_t deadline_to_monotonic_ms(gpr_timespec deadline)
{
        if (gpr_time_cmp(deadline, gpr_inf_future(deadline.clock_type)) == 0)
                return INT64_MAX;
        gpr_timespec mono = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC);
        return (int64_t)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
}

static int64_t now_gpr_monotonic_ms(void)
{
        gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Spare calls kept per worker thread at most; past that a finished call is
 * freed. A spare keeps one chunk of its arena, the largest up to 64 KB, so a
 * method's usual calls soon fit in it (a GetBook needs ~30 KB); a bigger one
 * is freed, so a rare large call does not pin its memory. */
enum { SPARE_CALLS_PER_WORKER = 16, SPARE_ARENA_BYTES = 64 << 10 };

static struct rpc_call *spare_take(struct rpc_server *s)
{
        pthread_mutex_lock(&s->spare_lock);
        struct rpc_call *c = s->spare_calls;
        if (c) {
                s->spare_calls = c->next_spare;
                s->n_spare_calls--;
        }
        pthread_mutex_unlock(&s->spare_lock);
        if (c) {
                struct arena *a = c->arena;
                memset(c, 0, sizeof(*c));
                c->arena = a;
        }
        return c;
}

static bool spare_keep(struct rpc_server *s, struct rpc_call *c)
{
        arena_recycle(c->arena, SPARE_ARENA_BYTES);
        pthread_mutex_lock(&s->spare_lock);
        bool kept = s->n_spare_calls < s->cfg.workers * SPARE_CALLS_PER_WORKER;
        if (kept) {
                c->next_spare = s->spare_calls;
                s->spare_calls = c;
                s->n_spare_calls++;
        }
        pthread_mutex_unlock(&s->spare_lock);
        return kept;
}

void rpc_call_spares_free(struct rpc_server *s)
{
        while (s->spare_calls) {
                struct rpc_call *c = s->spare_calls;
                s->spare_calls = c->next_spare;
                arena_free(c->arena);
                free(c);
        }
        s->n_spare_calls = 0;
}

static struct rpc_call *call_new(struct rpc_server *s)
{
        struct rpc_call *c = spare_take(s);
        if (c)
                return c;
        c = calloc(1, sizeof(*c));
        if (c && arena_new(&c->arena, s->cfg.arena_max_bytes) < 0) {
                free(c);
                return NULL;
        }
        return c;
}

struct rpc_call *rpc_call_from_pending(struct rpc_pending *p)
{
        struct rpc_server *s = p->queue->server;
        struct rpc_call *c = call_new(s);
        if (!c) {
                /* cannot answer without memory: cancel so the client is not left hanging */
                grpc_call_cancel_with_status(p->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                             "server out of memory", NULL);
                grpc_call_unref(p->call);
                grpc_metadata_array_destroy(&p->metadata);
                if (p->payload)
                        grpc_byte_buffer_destroy(p->payload);
                return NULL;
        }
        c->tag.kind = RPC_TAG_CALL_DONE;
        c->tag_close.kind = RPC_TAG_CALL_CLOSED;
        atomic_init(&c->refs, 1);
        c->server = s;
        c->call = p->call;
        c->metadata = p->metadata; /* moved: pending_post re-inits its own */
        c->payload = p->payload;
        c->start_us = clock_monotonic_us();
        c->allocator = (ProtobufCAllocator){
                .alloc = call_alloc_cb, .free = call_free_cb, .allocator_data = c};
        if (p->method) {
                c->method = p->method;
                c->path = p->method->path;
                c->deadline_ms = deadline_to_monotonic_ms(p->deadline);
                if (c->deadline_ms == INT64_MAX && p->method->unary && s->cfg.max_call_ms > 0)
                        c->deadline_ms = now_gpr_monotonic_ms() + s->cfg.max_call_ms;
        } else {
                /* an unknown method: answered UNIMPLEMENTED; the path is only logged */
                const char *raw = (const char *)GRPC_SLICE_START_PTR(p->details.method);
                size_t len = GRPC_SLICE_LENGTH(p->details.method);
                c->path = utf8_valid(raw, len) ? arena_strndup(c->arena, raw, len) : NULL;
                if (!c->path)
                        c->path = "(invalid method name)";
                c->deadline_ms = deadline_to_monotonic_ms(p->details.deadline);
        }
        parse_traceparent(&c->metadata, c->trace_id);
        c->status_message = "";
        return c;
}

void rpc_call_free(struct rpc_call *c)
{
        if (!c)
                return;
        grpc_metadata_array_destroy(&c->metadata);
        if (c->payload)
                grpc_byte_buffer_destroy(c->payload);
        if (c->response_buffer)
                grpc_byte_buffer_destroy(c->response_buffer);
        grpc_slice_unref(c->status_details);
        if (c->call)
                grpc_call_unref(c->call);
        if (spare_keep(c->server, c))
                return;
        arena_free(c->arena);
        free(c);
}

/* ---- context accessors ------------------------------------------------- */

const char *rpc_call_method(const struct rpc_call *call)
{
        return call->path;
}

const char *rpc_call_peer(struct rpc_call *call)
{
        if (!call->peer && call->call) {
                char *peer = grpc_call_get_peer(call->call);
                call->peer = arena_strdup(call->arena, peer ? peer : "");
                gpr_free(peer);
        }
        return call->peer ? call->peer : "";
}

unsigned rpc_call_method_roles(const struct rpc_call *call)
{
        return call->method ? call->method->roles : 0;
}

const char *rpc_call_peer_address(struct rpc_call *call)
{
        const char *peer = rpc_call_peer(call);
        const char *colon = strchr(peer, ':'); /* after the scheme, "ipv4:" */
        char *ip = arena_strdup(call->arena, colon ? colon + 1 : peer);
        if (!ip || !*ip)
                return "unknown";
        if (ip[0] == '[') { /* "[::1]:5678" */
                char *end = strchr(ip, ']');
                if (end)
                        *end = '\0';
                return ip + 1;
        }
        char *port = strrchr(ip, ':');
        if (port)
                *port = '\0';
        return ip;
}

const char *rpc_call_metadata(struct rpc_call *call, const char *key)
{
        for (size_t i = 0; i < call->metadata.count; i++) {
                const grpc_metadata *m = &call->metadata.metadata[i];
                if (!grpc_slice_str_cmp(m->key, key))
                        return arena_strndup(call->arena,
                                             (const char *)GRPC_SLICE_START_PTR(m->value),
                                             GRPC_SLICE_LENGTH(m->value));
        }
        return NULL;
}

int64_t rpc_call_deadline_remaining_ms(const struct rpc_call *call)
{
        if (call->deadline_ms == INT64_MAX)
                return -1;
        int64_t left = call->deadline_ms - now_gpr_monotonic_ms();
        return left > 0 ? left : 0;
}

static void post_close_notice(struct rpc_call *c);

bool rpc_call_cancelled(struct rpc_call *call)
{
        if (atomic_load(&call->server->cancelled_all))
                return true;
        if (call->deadline_ms != INT64_MAX && now_gpr_monotonic_ms() >= call->deadline_ms)
                return true;
        if (call->stream)
                return call->stream->closed && call->stream->close_cancelled;
        /* the first question posts the close notice: a call that never asks
         * costs no extra batch and no extra event */
        if (!call->close_posted)
                post_close_notice(call);
        return atomic_load(&call->client_gone) && call->close_cancelled;
}

const char *rpc_call_trace_id(const struct rpc_call *call)
{
        return call->trace_id;
}

void *rpc_call_service_ctx(const struct rpc_call *call)
{
        return call->method ? call->method->service_ctx : NULL;
}

void rpc_call_set_principal(struct rpc_call *call, const void *principal)
{
        call->principal = principal;
}

const void *rpc_call_principal(const struct rpc_call *call)
{
        return call->principal;
}

int rpc_out_of_memory(struct rpc_call *call)
{
        return rpc_error(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* A failed allocation is remembered (see rpc_call_alloc in rpc.h), so the
 * adapters building replies need not check every field. */
static void *remember_failure(struct rpc_call *call, void *p)
{
        if (!p)
                call->reply_alloc_failed = true;
        return p;
}

void *rpc_call_alloc(struct rpc_call *call, size_t size)
{
        return remember_failure(call, arena_zalloc(call->arena, size));
}

char *rpc_call_strdup(struct rpc_call *call, const char *s)
{
        return s ? remember_failure(call, arena_strdup(call->arena, s)) : NULL;
}

ProtobufCAllocator *rpc_call_allocator(struct rpc_call *call)
{
        return &call->allocator;
}

int rpc_error(struct rpc_call *call, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *msg = arena_vprintf(call->arena, fmt, ap);
        va_end(ap);
        call->status_message = msg ? msg : "";
        return code;
}

int rpc_error_errno(struct rpc_call *call, int err, const char *unavailable_message)
{
        int e = err < 0 ? -err : err;
        const struct rpc_client_status *peer = rpc_client_refusal();
        if (e == EREMOTEIO && peer && peer->code != RPC_OK) /* a peer's "no" stays its "no" */
                return rpc_error(call, peer->code, "%s", peer->message);
        log_msg(LOG_ERROR, "operation failed", "{s:s, s:i, s:s, s:s}", "method", call->path,
                "errno", e, "error", strerror(e), "cause",
                *cause_get() ? cause_get() : "none recorded");
        if (e == EINPROGRESS) /* libs/db's DB_OUTCOME_UNKNOWN; the runtime does not link libs/db */
                return rpc_error(call, RPC_UNKNOWN,
                                 "the outcome is unknown: the database connection was lost while "
                                 "committing; ask again with the same idempotency key to learn it");
        if (e == ECONNREFUSED || e == ECONNRESET || e == ETIMEDOUT || e == EACCES || e == EBUSY ||
            e == EDEADLK)
                return rpc_error(call, RPC_UNAVAILABLE, "%s", unavailable_message);
        return rpc_error(call, RPC_INTERNAL, "internal error");
}

int rpc_fail(struct rpc_call *call, const struct error_table *errors, int r, const char *detail,
             const char *unavailable_message)
{
        static const int status_of[] = {
                [ERROR_INVALID] = RPC_INVALID_ARGUMENT,
                [ERROR_NOT_FOUND] = RPC_NOT_FOUND,
                [ERROR_CONFLICT] = RPC_ALREADY_EXISTS,
                [ERROR_PRECONDITION] = RPC_FAILED_PRECONDITION,
                [ERROR_DENIED] = RPC_PERMISSION_DENIED,
                [ERROR_UNAUTHENTICATED] = RPC_UNAUTHENTICATED,
                [ERROR_EXHAUSTED] = RPC_RESOURCE_EXHAUSTED,
                [ERROR_DEADLINE] = RPC_DEADLINE_EXCEEDED,
                [ERROR_UNAVAILABLE] = RPC_UNAVAILABLE,
        };
        const struct error_entry *e =
                r > 0 ? error_find(errors->entries, errors->n, errors->first, r) : NULL;
        if (e && (size_t)e->kind < sizeof(status_of) / sizeof(status_of[0]))
                return rpc_error(call, status_of[e->kind], "%s",
                                 detail && *detail ? detail : e->message);
        return rpc_error_errno(call, r, unavailable_message);
}

const char *rpc_call_status_message(const struct rpc_call *call)
{
        return call->status_message ? call->status_message : "";
}

/* ---- decode / encode --------------------------------------------------- */

int rpc_call_decode(struct rpc_call *c, const ProtobufCMessageDescriptor *desc,
                    ProtobufCAllocator *allocator, grpc_byte_buffer *payload,
                    ProtobufCMessage **ret_msg)
{
        const struct rpc_server_config *cfg = &c->server->cfg;
        if (!payload)
                return rpc_error(c, RPC_INVALID_ARGUMENT,
                                 "missing request message: send exactly one %s", desc->name);
        grpc_byte_buffer_reader reader;
        if (!grpc_byte_buffer_reader_init(&reader, payload))
                return rpc_error(c, RPC_INVALID_ARGUMENT,
                                 "request message could not be read (unsupported compression?)");
        grpc_slice slice = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        const uint8_t *data = GRPC_SLICE_START_PTR(slice);
        size_t len = GRPC_SLICE_LENGTH(slice);
        char why[512];
        size_t max_bytes = cfg->max_message_bytes;
        if (c->method && c->method->max_request_bytes && c->method->max_request_bytes < max_bytes)
                max_bytes = c->method->max_request_bytes;
        c->alloc_failed = false;
        int code = rpc_request_decode(cfg, max_bytes, desc, allocator, &c->alloc_failed, data, len,
                                      ret_msg, why, sizeof(why));
        if (code != RPC_OK)
                code = rpc_error(c, code, "%s", why);
        grpc_slice_unref(slice);
        return code;
}

grpc_byte_buffer *rpc_encode(const ProtobufCMessage *msg)
{
        size_t size = protobuf_c_message_get_packed_size(msg);
        grpc_slice slice = grpc_slice_malloc(size);
        protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
        grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
        grpc_slice_unref(slice);
        return bb;
}

/* ---- the chain --------------------------------------------------------- */

static int run_unary_handler(struct rpc_call *c)
{
        ProtobufCMessage *req = NULL;
        int code = rpc_call_decode(c, c->method->desc->input, &c->allocator, c->payload, &req);
        /* protobuf-c copied what it needs into the arena: the bytes go now,
         * on this thread, not with the call on a replies thread */
        if (c->payload) {
                grpc_byte_buffer_destroy(c->payload);
                c->payload = NULL;
        }
        if (code != RPC_OK)
                return code;
        ProtobufCMessage *resp = NULL;
        code = c->method->unary(c, req, &resp);
        if (code != RPC_OK)
                return code;
        if (c->reply_alloc_failed)
                return rpc_error(c, RPC_RESOURCE_EXHAUSTED,
                                 "out of memory building the reply (the call's arena is "
                                 "BOOKSTORE_RPC_ARENA_MAX_BYTES)");
        if (!resp || resp->descriptor != c->method->desc->output) {
                log_msg(LOG_ERROR, "handler returned no response or one of the wrong type", "{s:s}",
                        "method", c->path);
                return rpc_error(c, RPC_INTERNAL, "internal error");
        }
        c->response = resp;
        return RPC_OK;
}

int rpc_call_proceed(struct rpc_call *c)
{
        struct rpc_server *s = c->server;
        if (c->next_interceptor < s->n_interceptors) {
                const struct rpc_interceptor *ic = &s->interceptors[c->next_interceptor++];
                return ic->intercept(c, ic->userdata);
        }
        if (c->stream)
                return c->method->stream(c, c->stream);
        return run_unary_handler(c);
}

/* ---- reply ------------------------------------------------------------- */

static void send_final_batch(struct rpc_call *c)
{
        if (c->status < 0 || c->status > RPC_UNAUTHENTICATED)
                c->status = RPC_UNKNOWN;
        if (c->status == RPC_OK && c->response) {
                c->response_buffer = rpc_encode(c->response);
        }
        c->status_details =
                grpc_slice_from_copied_string(c->status == RPC_OK ? "" : c->status_message);
        grpc_op ops[4];
        memset(ops, 0, sizeof(ops));
        size_t n = 0;
        ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[n++].data.send_initial_metadata.count = 0;
        if (c->response_buffer) {
                ops[n].op = GRPC_OP_SEND_MESSAGE;
                ops[n++].data.send_message.send_message = c->response_buffer;
        }
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status = (grpc_status_code)c->status;
        ops[n++].data.send_status_from_server.status_details = &c->status_details;
        if (!c->close_posted) {
                ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
                ops[n++].data.recv_close_on_server.cancelled = &c->close_cancelled;
        }
        /* logged and counted here, by the worker that ran the call: the
         * replies threads, where the batch completes, only release it */
        rpc_call_log(c);
        grpc_call_error err = GRPC_CALL_ERROR;
        if (rpc_queue_begin_op(c->queue)) {
                err = grpc_call_start_batch(c->call, ops, n, &c->tag, NULL);
                if (err != GRPC_CALL_OK) /* no event will come: give the count back */
                        rpc_queue_end_op(c->queue);
        }
        if (err != GRPC_CALL_OK) {
                log_msg(LOG_ERROR, "could not send reply", "{s:s, s:i}", "method", c->path,
                        "grpc_call_error", (int)err);
                rpc_call_on_done(c);
        }
}

/* Gives up one of the call's references: the last one frees it. */
static void call_release(struct rpc_call *c)
{
        if (atomic_fetch_sub(&c->refs, 1) == 1)
                rpc_call_free(c);
}

/* The core completes RECV_CLOSE_ON_SERVER when the client goes away (a
 * cancel, a dropped connection) or the call ends. Posted by the handler's
 * first rpc_call_cancelled() (at once if the client has already gone), it
 * lets a handler that waits on something slow notice a cancel and give its
 * worker back. Most handlers never ask: their final batch takes the close in,
 * one batch and one completion per call instead of two. */
static void post_close_notice(struct rpc_call *c)
{
        grpc_op op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER,
                      .data.recv_close_on_server.cancelled = &c->close_cancelled};
        if (!rpc_queue_begin_op(c->queue))
                return;
        atomic_fetch_add(&c->refs, 1);
        if (grpc_call_start_batch(c->call, &op, 1, &c->tag_close, NULL) != GRPC_CALL_OK) {
                atomic_fetch_sub(&c->refs, 1);
                rpc_queue_end_op(c->queue);
                return;
        }
        c->close_posted = true;
}

static __thread int64_t current_deadline_ms = INT64_MAX; /* of the call this thread serves */

int64_t rpc_deadline_inherited_ms(void)
{
        if (current_deadline_ms == INT64_MAX)
                return -1;
        int64_t left = current_deadline_ms - now_gpr_monotonic_ms();
        return left > 0 ? left : 0;
}

/* The trace is kept by libs/core's log (one per thread), so work a thread
 * does for a saga or an event carries it as a served call's does. */
void rpc_trace_enter(const char *trace_id)
{
        log_set_trace_id(trace_id);
}

void rpc_trace_leave(void)
{
        log_set_trace_id(NULL);
}

const char *rpc_trace_current(void)
{
        return log_trace_id();
}

int rpc_call_run_handler(struct rpc_call *c)
{
        const struct rpc_call_observer *obs = &c->server->observer;
        obs->started(obs->userdata, c->path);
        c->observed = true;
        rpc_trace_enter(c->trace_id);
        rpc_client_refusal_clear(); /* a refusal seen by an earlier call is not this one's */
        cause_clear();
        current_deadline_ms = c->deadline_ms; /* calls made from here inherit it */
        int status = rpc_call_proceed(c);
        current_deadline_ms = INT64_MAX;
        rpc_trace_leave();
        return status;
}

void rpc_call_run_unary(struct rpc_call *c)
{
        c->status = rpc_call_run_handler(c);
        send_final_batch(c);
}

void rpc_call_reject(struct rpc_call *c, int code, const char *message)
{
        c->status = rpc_error(c, code, "%s", message);
        send_final_batch(c);
}

void rpc_call_on_done(struct rpc_call *c)
{
        call_release(c);
}

void rpc_call_on_closed(struct rpc_call *c)
{
        atomic_store(&c->client_gone, true);
        call_release(c);
}

void rpc_call_log(struct rpc_call *c)
{
        double ms = (double)(clock_monotonic_us() - c->start_us) / 1000.0;
        const struct rpc_call_observer *obs = &c->server->observer;
        obs->finished(obs->userdata, c->method ? c->path : "", c->status, ms / 1000.0, c->observed);
        if (!c->server->cfg.access_log)
                return;
        /* one line per call: formatted flat, no JSON tree built and freed */
        struct log_field fields[7] = {
                {.key = "method", .text = c->path},
                {.key = "code", .text = rpc_code_name(c->status)},
                {.key = "status", .number = c->status},
                {.key = "duration_ms", .number = ms, .is_real = true},
                {.key = "peer", .text = rpc_call_peer(c)},
        };
        size_t n = 5;
        if (c->trace_id[0])
                fields[n++] = (struct log_field){.key = "trace_id", .text = c->trace_id};
        if (c->status != RPC_OK && c->status_message[0])
                fields[n++] = (struct log_field){.key = "error", .text = c->status_message};
        log_emit_flat(c->status == RPC_OK ? LOG_INFO : LOG_WARN, "rpc", fields, n);
}
