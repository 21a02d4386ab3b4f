/* Unary client over grpc core with a per-target channel cache; see rpc/client.h. */
#include "rpc-int.h"
#include "rpc/client.h"

#include "core/random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct client_channel {
        char *target;
        grpc_channel *channel;
};

struct rpc_client {
        pthread_mutex_t lock;
        struct client_channel *channels;
        size_t n_channels;
};

int rpc_client_new(struct rpc_client **ret_client)
{
        struct rpc_client *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        grpc_init();
        *ret_client = c;
        return 0;
}

void rpc_client_free(struct rpc_client *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_channels; i++) {
                grpc_channel_destroy(c->channels[i].channel);
                free(c->channels[i].target);
        }
        free(c->channels);
        pthread_mutex_destroy(&c->lock);
        free(c);
        grpc_shutdown();
}

/* grpc's reconnect backoff grows to 120 s: a peer that was down for a while
 * stayed "failed to connect" that long after it came back, while the
 * callers (a saga's retries, a health check) were asking every second or
 * two. Peers here are in the same cluster; reconnecting at most every 2 s
 * costs a connection attempt, not a flood. */
static grpc_arg reconnect_arg_list[] = {
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
         .value.integer = 250},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
         .value.integer = 2000},
};
static const grpc_channel_args reconnect_args = {.num_args = sizeof(reconnect_arg_list) /
                                                             sizeof(reconnect_arg_list[0]),
                                                 .args = reconnect_arg_list};

static grpc_channel *channel_for(struct rpc_client *c, const char *target)
{
        grpc_channel *ch = NULL;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->n_channels && !ch; i++)
                if (!strcmp(c->channels[i].target, target))
                        ch = c->channels[i].channel;
        if (!ch) {
                struct client_channel *list =
                        realloc(c->channels, (c->n_channels + 1) * sizeof(*list));
                char *name = strdup(target);
                if (list)
                        c->channels = list;
                if (list && name) {
                        grpc_channel_credentials *creds = grpc_insecure_credentials_create();
                        ch = grpc_channel_create(target, creds, &reconnect_args);
                        grpc_channel_credentials_release(creds);
                        c->channels[c->n_channels++] =
                                (struct client_channel){.target = name, .channel = ch};
                } else {
                        free(name);
                }
        }
        pthread_mutex_unlock(&c->lock);
        return ch;
}

static ProtobufCMessage *decode_response(grpc_byte_buffer *bb,
                                         const ProtobufCMessageDescriptor *desc,
                                         ProtobufCAllocator *allocator)
{
        grpc_byte_buffer_reader reader;
        if (!grpc_byte_buffer_reader_init(&reader, bb))
                return NULL;
        grpc_slice slice = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        ProtobufCMessage *msg = protobuf_c_message_unpack(desc, allocator, GRPC_SLICE_LENGTH(slice),
                                                          GRPC_SLICE_START_PTR(slice));
        grpc_slice_unref(slice);
        return msg;
}

/* An UNAVAILABLE that certainly never left this process: the core's load
 * balancer found no connection to put the call on (its fail-fast answer
 * while every address refuses or times out its connection). Anything else
 * -- a reset after sending, a server's own UNAVAILABLE -- may have reached
 * the server. */
static bool never_connected(const char *details)
{
        return strncmp(details, "failed to connect to all addresses",
                       strlen("failed to connect to all addresses")) == 0;
}

int rpc_client_begin(struct rpc_client *c, const struct rpc_client_call *call,
                     struct rpc_client_started *ret, struct rpc_client_status *ret_status)
{
        memset(ret, 0, sizeof(*ret));
        /* the caller this thread works for gave this call its deadline too */
        int64_t inherited = rpc_deadline_inherited_ms();
        int timeout_ms = call->timeout_ms;
        if (inherited == 0) {
                *ret_status = (struct rpc_client_status){
                        .code = RPC_DEADLINE_EXCEEDED,
                        .message = "the deadline of the call this one was made for has passed; "
                                   "not sent",
                        .not_sent = true};
                return 1;
        }
        if (inherited > 0 && (timeout_ms <= 0 || inherited < timeout_ms))
                timeout_ms = (int)inherited;
        grpc_channel *ch = channel_for(c, call->target);
        if (!ch)
                return -ENOMEM;
        /* the trace this thread works for goes on, under a new span id,
         * unless the caller set a traceparent itself */
        bool add_trace = *rpc_trace_current();
        for (size_t i = 0; i < call->n_metadata && add_trace; i++)
                add_trace = strcmp(call->metadata[i].key, "traceparent") != 0;
        size_t n_md = call->n_metadata + (add_trace ? 1 : 0);
        grpc_metadata *md = n_md ? calloc(n_md, sizeof(*md)) : NULL;
        if (n_md && !md)
                return -ENOMEM;
        for (size_t i = 0; i < call->n_metadata; i++) {
                md[i].key = grpc_slice_from_static_string(call->metadata[i].key);
                md[i].value = grpc_slice_from_copied_string(call->metadata[i].value);
        }
        if (add_trace) {
                char traceparent[64], span[17];
                random_hex(span, 8);
                snprintf(traceparent, sizeof(traceparent), "00-%.32s-%s-01", rpc_trace_current(),
                         span);
                md[n_md - 1].key = grpc_slice_from_static_string("traceparent");
                md[n_md - 1].value = grpc_slice_from_copied_string(traceparent);
        }
        gpr_timespec deadline =
                timeout_ms > 0 ? gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                              gpr_time_from_millis(timeout_ms, GPR_TIMESPAN))
                               : gpr_inf_future(GPR_CLOCK_REALTIME);
        ret->cq = grpc_completion_queue_create_for_pluck(NULL);
        grpc_slice method = grpc_slice_from_static_string(call->method);
        ret->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, ret->cq, method,
                                             NULL, deadline, NULL);
        ret->md = md;
        ret->n_md = n_md;
        return 0;
}

void rpc_client_end(struct rpc_client_started *s)
{
        if (s->call)
                grpc_call_unref(s->call);
        if (s->cq) {
                grpc_completion_queue_shutdown(s->cq);
                grpc_completion_queue_pluck(s->cq, NULL, gpr_inf_past(GPR_CLOCK_REALTIME), NULL);
                grpc_completion_queue_destroy(s->cq);
        }
        for (size_t i = 0; i < s->n_md; i++)
                grpc_slice_unref(s->md[i].value);
        free(s->md);
        memset(s, 0, sizeof(*s));
}

bool rpc_client_never_connected(int code, const char *details)
{
        return code == GRPC_STATUS_UNAVAILABLE && never_connected(details);
}

/* The call with req_bb as its request (taken); on OK *ret_resp_bb is the
 * response's (the caller destroys it; NULL when none came). */
static int unary(struct rpc_client *c, const struct rpc_client_call *call, grpc_byte_buffer *req_bb,
                 grpc_byte_buffer **ret_resp_bb, struct rpc_client_status *ret_status)
{
        *ret_resp_bb = NULL;
        struct rpc_client_started started;
        int begun = rpc_client_begin(c, call, &started, ret_status);
        if (begun != 0) {
                grpc_byte_buffer_destroy(req_bb);
                return begun < 0 ? begun : 0;
        }
        grpc_call *gc = started.call;
        grpc_completion_queue *cq = started.cq;
        grpc_metadata *md = started.md;
        size_t n_md = started.n_md;
        grpc_byte_buffer *resp_bb = NULL;
        grpc_metadata_array initial_md, trailing_md;
        grpc_metadata_array_init(&initial_md);
        grpc_metadata_array_init(&trailing_md);
        grpc_status_code status = GRPC_STATUS_UNKNOWN;
        grpc_slice details = grpc_empty_slice();
        const char *error_string = NULL;

        grpc_op ops[6];
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[0].data.send_initial_metadata.count = n_md;
        ops[0].data.send_initial_metadata.metadata = md;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = req_bb;
        ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
        ops[4].op = GRPC_OP_RECV_MESSAGE;
        ops[4].data.recv_message.recv_message = &resp_bb;
        ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
        ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
        ops[5].data.recv_status_on_client.status = &status;
        ops[5].data.recv_status_on_client.status_details = &details;
        ops[5].data.recv_status_on_client.error_string = &error_string;

        int ret = 0;
        int tag;
        if (grpc_call_start_batch(gc, ops, 6, &tag, NULL) != GRPC_CALL_OK) {
                ret = -EIO;
        } else {
                grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                ret_status->code = (int)status;
                snprintf(ret_status->message, sizeof(ret_status->message), "%.*s",
                         (int)GRPC_SLICE_LENGTH(details),
                         (const char *)GRPC_SLICE_START_PTR(details));
                ret_status->not_sent =
                        status == GRPC_STATUS_UNAVAILABLE && never_connected(ret_status->message);
                if (status == GRPC_STATUS_OK) {
                        *ret_resp_bb = resp_bb;
                        resp_bb = NULL;
                }
        }
        gpr_free((void *)error_string);
        grpc_slice_unref(details);
        grpc_metadata_array_destroy(&initial_md);
        grpc_metadata_array_destroy(&trailing_md);
        if (resp_bb)
                grpc_byte_buffer_destroy(resp_bb);
        grpc_byte_buffer_destroy(req_bb);
        rpc_client_end(&started);
        return ret;
}

int rpc_client_unary(struct rpc_client *c, const struct rpc_client_call *call,
                     ProtobufCMessage **ret_response, struct rpc_client_status *ret_status)
{
        grpc_byte_buffer *resp_bb;
        int r = unary(c, call, rpc_encode(call->request), &resp_bb, ret_status);
        if (r < 0 || ret_status->code != RPC_OK)
                return r;
        ProtobufCMessage *resp =
                resp_bb ? decode_response(resp_bb, call->response_type, call->allocator) : NULL;
        if (resp_bb)
                grpc_byte_buffer_destroy(resp_bb);
        if (resp) {
                *ret_response = resp;
        } else {
                ret_status->code = RPC_INTERNAL;
                snprintf(ret_status->message, sizeof(ret_status->message),
                         "response could not be decoded as %s", call->response_type->name);
        }
        return 0;
}

int rpc_client_unary_bytes(struct rpc_client *c, const struct rpc_client_call *call,
                           const void *request, size_t len, void **ret_bytes, size_t *ret_len,
                           struct rpc_client_status *ret_status)
{
        grpc_slice slice = grpc_slice_from_copied_buffer(request, len);
        grpc_byte_buffer *req_bb = grpc_raw_byte_buffer_create(&slice, 1);
        grpc_slice_unref(slice);
        grpc_byte_buffer *resp_bb;
        int r = unary(c, call, req_bb, &resp_bb, ret_status);
        if (r < 0 || ret_status->code != RPC_OK)
                return r;
        return rpc_byte_buffer_take(resp_bb, ret_bytes, ret_len);
}

int rpc_byte_buffer_take(grpc_byte_buffer *bb, void **ret_bytes, size_t *ret_len)
{
        grpc_byte_buffer_reader reader;
        grpc_slice all = grpc_empty_slice();
        if (bb && grpc_byte_buffer_reader_init(&reader, bb)) {
                all = grpc_byte_buffer_reader_readall(&reader);
                grpc_byte_buffer_reader_destroy(&reader);
        }
        if (bb)
                grpc_byte_buffer_destroy(bb);
        size_t n = GRPC_SLICE_LENGTH(all);
        void *bytes = malloc(n ? n : 1);
        if (bytes && n)
                memcpy(bytes, GRPC_SLICE_START_PTR(all), n);
        grpc_slice_unref(all);
        if (!bytes)
                return -ENOMEM;
        *ret_bytes = bytes;
        *ret_len = n;
        return 0;
}

int rpc_client_status_errno(const struct rpc_client_status *status)
{
        switch (status->code) {
        case RPC_OK:
                return 0;
        case RPC_NOT_FOUND:
                return -ENOENT;
        case RPC_UNAVAILABLE:
        case RPC_DEADLINE_EXCEEDED:
                return -ECONNREFUSED;
        default:
                return -EREMOTEIO;
        }
}

static __thread struct rpc_client_status last_refusal;
static __thread bool has_refusal;

const struct rpc_client_status *rpc_client_refusal(void)
{
        return has_refusal ? &last_refusal : NULL;
}

void rpc_client_refusal_clear(void)
{
        has_refusal = false;
}

int rpc_client_unary_as(struct rpc_client *c, const char *target, const char *method,
                        const ProtobufCMessage *request,
                        const ProtobufCMessageDescriptor *response_type, const char *authorization,
                        int timeout_ms, ProtobufCMessage **ret_response)
{
        struct rpc_metadata md[] = {{"authorization", authorization ? authorization : ""}};
        struct rpc_client_call call = {.target = target,
                                       .method = method,
                                       .request = request,
                                       .response_type = response_type,
                                       .timeout_ms = timeout_ms,
                                       .metadata = md,
                                       .n_metadata = authorization ? 1 : 0};
        struct rpc_client_status st;
        *ret_response = NULL;
        int r = rpc_client_unary(c, &call, ret_response, &st);
        if (r == 0)
                r = rpc_client_status_errno(&st);
        if (r == -EREMOTEIO) {
                last_refusal = st;
                has_refusal = true;
        }
        if (r < 0 && *ret_response) {
                protobuf_c_message_free_unpacked(*ret_response, NULL);
                *ret_response = NULL;
        }
        return r;
}
