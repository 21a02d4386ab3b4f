/* bookstore.testing.v1.TestService: a test-only service that exercises the
 * runtime (unary, errors, deadlines, streams) through real clients. */
#include "testsvc.h"

#include "auth/guard.h"
#include "bookstore/testing/v1/testing.pb-c.h"

#include <stdatomic.h>
#include <time.h>

static atomic_long echo_calls;

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static int echo(struct rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **ret_resp)
{
        const Bookstore__Testing__V1__EchoRequest *r = (const void *)req;
        if (r->sleep_ms < 0 || r->sleep_ms > 60000)
                return rpc_error(call, RPC_INVALID_ARGUMENT,
                                 "sleep_ms must be between 0 and 60000, got %d", r->sleep_ms);
        int64_t remaining = rpc_call_deadline_remaining_ms(call);
        /* sleep in slices so a cancelled call stops early */
        for (int slept = 0; slept < r->sleep_ms; slept += 10) {
                if (rpc_call_cancelled(call))
                        return rpc_error(call, RPC_CANCELLED, "cancelled after %d ms", slept);
                sleep_ms(r->sleep_ms - slept < 10 ? r->sleep_ms - slept : 10);
        }
        Bookstore__Testing__V1__EchoResponse *resp = rpc_call_alloc(call, sizeof(*resp));
        if (!resp)
                return rpc_out_of_memory(call);
        bookstore__testing__v1__echo_response__init(resp);
        /* a copy, unchecked as reply builders may leave it: the runtime
         * answers RESOURCE_EXHAUSTED if it failed */
        resp->message = rpc_call_strdup(call, r->message);
        resp->deadline_remaining_ms = remaining;
        resp->peer = (char *)rpc_call_peer(call);
        const char *md = rpc_call_metadata(call, "x-echo");
        resp->echo_metadata = md ? (char *)md : "";
        resp->trace_id = (char *)rpc_call_trace_id(call);
        const struct auth_principal *principal = auth_principal_of(call);
        resp->principal = principal ? (char *)principal->subject : "";
        atomic_fetch_add(&echo_calls, 1);
        *ret_resp = &resp->base;
        return RPC_OK;
}

static int fail(struct rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **ret_resp)
{
        const Bookstore__Testing__V1__FailRequest *r = (const void *)req;
        if (r->code <= 0 || r->code > RPC_UNAUTHENTICATED)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "code must be 1..16, got %d", r->code);
        return rpc_error(call, r->code, "%s", r->message);
}

static int stats(struct rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **ret_resp)
{
        Bookstore__Testing__V1__StatsResponse *resp = rpc_call_alloc(call, sizeof(*resp));
        if (!resp)
                return rpc_out_of_memory(call);
        bookstore__testing__v1__stats_response__init(resp);
        resp->echo_calls = atomic_load(&echo_calls);
        *ret_resp = &resp->base;
        return RPC_OK;
}

static int set_serving(struct rpc_call *call, const ProtobufCMessage *req,
                       ProtobufCMessage **ret_resp)
{
        const Bookstore__Testing__V1__SetServingRequest *r = (const void *)req;
        if (rpc_health_set(rpc_call_service_ctx(call), r->service, r->serving) < 0)
                return rpc_error(call, RPC_INTERNAL, "could not set health");
        Bookstore__Testing__V1__SetServingResponse *resp = rpc_call_alloc(call, sizeof(*resp));
        if (!resp)
                return rpc_out_of_memory(call);
        bookstore__testing__v1__set_serving_response__init(resp);
        *ret_resp = &resp->base;
        return RPC_OK;
}

static int count(struct rpc_call *call, struct rpc_stream *stream)
{
        ProtobufCMessage *msg;
        int r = rpc_stream_read(stream, &msg);
        if (r <= 0)
                return r == 0 ? rpc_error(call, RPC_INVALID_ARGUMENT, "missing CountRequest") : -r;
        const Bookstore__Testing__V1__CountRequest *req = (const void *)msg;
        int n = req->count, interval = req->interval_ms;
        if (n < 0 || n > 100000 || interval < 0 || interval > 10000)
                return rpc_error(call, RPC_INVALID_ARGUMENT,
                                 "count must be 0..100000 and interval_ms 0..10000");
        for (int i = 0; i < n; i++) {
                if (interval && rpc_stream_wait_cancelled(stream, interval))
                        return rpc_error(call, RPC_CANCELLED, "stream ended after %d messages", i);
                Bookstore__Testing__V1__CountResponse resp;
                bookstore__testing__v1__count_response__init(&resp);
                resp.index = i;
                if (rpc_stream_write(stream, &resp.base) < 0)
                        return RPC_CANCELLED;
        }
        return RPC_OK;
}

static int chat(struct rpc_call *call, struct rpc_stream *stream)
{
        for (int seq = 0;; seq++) {
                ProtobufCMessage *msg;
                int r = rpc_stream_read(stream, &msg);
                if (r == 0)
                        return RPC_OK;
                if (r < 0)
                        return -r;
                Bookstore__Testing__V1__ChatResponse resp;
                bookstore__testing__v1__chat_response__init(&resp);
                resp.text = ((Bookstore__Testing__V1__ChatRequest *)msg)->text;
                resp.sequence = seq;
                if (rpc_stream_write(stream, &resp.base) < 0)
                        return RPC_CANCELLED;
        }
}

static const struct rpc_method_impl test_methods[] = {
        {.name = "Echo", .unary = echo, .roles = AUTH_PUBLIC},
        {.name = "Fail", .unary = fail, .roles = ROLE_ANY},
        {.name = "Stats", .unary = stats, .roles = ROLE_ADMIN},
        {.name = "Count", .stream = count, .roles = AUTH_PUBLIC},
        {.name = "Chat", .stream = chat, .roles = AUTH_PUBLIC},
        {.name = "SetServing", .unary = set_serving, .roles = ROLE_SERVICE | ROLE_ADMIN},
};

/* Used when the service runs with authentication (BOOKSTORE_JWT_VERIFY_KEYS). */

int testsvc_register(struct rpc_server *server)
{
        return rpc_server_add_service(server, &bookstore__testing__v1__test_service__descriptor,
                                      NULL, test_methods,
                                      sizeof(test_methods) / sizeof(test_methods[0]), server);
}
