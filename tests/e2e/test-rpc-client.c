/* libs/rpc client against a real server (the test service, in-process, on a
 * loopback port): results, status codes, deadlines, metadata, many threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../testsvc/testsvc.h"
#include "rpc/client.h"

#include "bookstore/testing/v1/testing.pb-c.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rpc_server *server;
static char trail[256]; /* what the interceptors saw, in order */
static pthread_mutex_t trail_lock = PTHREAD_MUTEX_INITIALIZER;

static void note(const char *what)
{
        pthread_mutex_lock(&trail_lock);
        strncat(trail, what, sizeof(trail) - strlen(trail) - 1);
        pthread_mutex_unlock(&trail_lock);
}

/* First in the chain: sees every outcome, like a logging or metrics interceptor. */
static int record_intercept(struct rpc_call *call, void *userdata)
{
        if (!rpc_call_metadata(call, "x-trail"))
                return rpc_call_proceed(call);
        note("record>");
        int code = rpc_call_proceed(call);
        char buf[64];
        snprintf(buf, sizeof(buf), "<record(%s)", rpc_code_name(code));
        note(buf);
        return code;
}

/* Second: an auth-like gate that may reject, and fills the principal slot. */
static int gate_intercept(struct rpc_call *call, void *userdata)
{
        if (rpc_call_metadata(call, "x-trail"))
                note("gate>");
        if (rpc_call_metadata(call, "x-deny"))
                return rpc_error(call, RPC_PERMISSION_DENIED, "denied by %s", (char *)userdata);
        const char *user = rpc_call_metadata(call, "x-user");
        if (user) {
                struct auth_principal *p = rpc_call_alloc(call, sizeof(*p));
                snprintf(p->subject, sizeof(p->subject), "%s", user);
                rpc_call_set_principal(call, p);
        }
        return rpc_call_proceed(call);
}
static struct rpc_client *client;
static char target[64];

static int echo_md(const char *message, int sleep_ms, int timeout_ms, const struct rpc_metadata *md,
                   size_t n_md, Bookstore__Testing__V1__EchoResponse **ret,
                   struct rpc_client_status *st);

/* A service that asks a peer while it serves a call (as checkout asks
 * identity): x-relay: deadline asks Echo with a 10 s timeout and reports,
 * as an ABORTED message, how much deadline Echo saw; x-relay: refusal asks
 * Fail(PERMISSION_DENIED) on the caller's behalf and answers as adapters do. */
static int relay_intercept(struct rpc_call *call, void *userdata)
{
        const char *relay = rpc_call_metadata(call, "x-relay");
        if (!relay)
                return rpc_call_proceed(call);
        if (!strcmp(relay, "refusal")) {
                Bookstore__Testing__V1__FailRequest req;
                bookstore__testing__v1__fail_request__init(&req);
                req.code = RPC_PERMISSION_DENIED;
                req.message = "only the seller may";
                ProtobufCMessage *resp = NULL;
                int r = rpc_client_unary_as(
                        client, target, "/bookstore.testing.v1.TestService/Fail", &req.base,
                        &bookstore__testing__v1__fail_response__descriptor, NULL, 5000, &resp);
                return rpc_error_errno(call, r, "the peer is unavailable; retry");
        }
        Bookstore__Testing__V1__EchoResponse *resp = NULL;
        struct rpc_client_status st;
        if (echo_md("inner", 0, 10000, NULL, 0, &resp, &st) < 0 || !resp)
                return rpc_error(call, RPC_INTERNAL, "inner call failed: %s", st.message);
        int64_t seen = resp->deadline_remaining_ms;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return rpc_error(call, RPC_ABORTED, "%lld", (long long)seen);
}

static int setup(void **state)
{
        struct rpc_server_config cfg = {
                .listen_addr = "127.0.0.1:0",
                .workers = 4,
                .queues = 1,
                .requests_per_method = 8,
                .max_message_bytes = 1 << 20,
                .arena_max_bytes = 8 << 20,
                .max_nesting_depth = 64,
                .shutdown_grace_ms = 2000,
                .max_streams = 16,
                .access_log = false,
        };
        const struct rpc_interceptor record = {.name = "record", .intercept = record_intercept};
        const struct rpc_interceptor gate = {
                .name = "gate", .intercept = gate_intercept, .userdata = "the gate"};
        const struct rpc_interceptor relay = {.name = "relay", .intercept = relay_intercept};
        if (rpc_server_new(&server, &cfg) < 0 || testsvc_register(server) < 0 ||
            rpc_server_add_interceptor(server, &record) < 0 ||
            rpc_server_add_interceptor(server, &gate) < 0 ||
            rpc_server_add_interceptor(server, &relay) < 0 || rpc_server_start(server) < 0)
                return -1;
        snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(server));
        return rpc_client_new(&client);
}

static int teardown(void **state)
{
        rpc_client_free(client);
        rpc_server_stop(server);
        rpc_server_free(server);
        return 0;
}

static int echo_md(const char *message, int sleep_ms, int timeout_ms, const struct rpc_metadata *md,
                   size_t n_md, Bookstore__Testing__V1__EchoResponse **ret,
                   struct rpc_client_status *st)
{
        Bookstore__Testing__V1__EchoRequest req;
        bookstore__testing__v1__echo_request__init(&req);
        req.message = (char *)message;
        req.sleep_ms = sleep_ms;
        struct rpc_client_call call = {
                .target = target,
                .method = "/bookstore.testing.v1.TestService/Echo",
                .request = &req.base,
                .response_type = &bookstore__testing__v1__echo_response__descriptor,
                .timeout_ms = timeout_ms,
                .metadata = md,
                .n_metadata = n_md,
        };
        ProtobufCMessage *resp = NULL;
        int r = rpc_client_unary(client, &call, &resp, st);
        *ret = (Bookstore__Testing__V1__EchoResponse *)resp;
        return r;
}

static int echo(const char *message, int sleep_ms, int timeout_ms, const char *echo_value,
                Bookstore__Testing__V1__EchoResponse **ret, struct rpc_client_status *st)
{
        const struct rpc_metadata md[] = {{"x-echo", echo_value ? echo_value : ""}};
        return echo_md(message, sleep_ms, timeout_ms, md, echo_value ? 1 : 0, ret, st);
}

enum { DEADLINE_SLACK_MS = 250 };

static void unary_call_returns_response_and_forwards_metadata(void **state)
{
        Bookstore__Testing__V1__EchoResponse *resp;
        struct rpc_client_status st;
        assert_int_equal(echo("hello", 0, 5000, "trace-me", &resp, &st), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_string_equal(resp->message, "hello");
        assert_string_equal(resp->echo_metadata, "trace-me");
        /* grpc-timeout travels rounded up to coarse units and the deadline is converted
         * between clocks on both sides (a few ms off while NTP steps a fresh machine) */
        assert_true(resp->deadline_remaining_ms > 3000 &&
                    resp->deadline_remaining_ms <= 5000 + DEADLINE_SLACK_MS);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void server_status_and_message_come_back(void **state)
{
        Bookstore__Testing__V1__FailRequest req;
        bookstore__testing__v1__fail_request__init(&req);
        req.code = RPC_FAILED_PRECONDITION;
        req.message = "book 7 is UNLISTED";
        struct rpc_client_call call = {
                .target = target,
                .method = "/bookstore.testing.v1.TestService/Fail",
                .request = &req.base,
                .response_type = &bookstore__testing__v1__fail_response__descriptor,
                .timeout_ms = 5000,
        };
        ProtobufCMessage *resp = NULL;
        struct rpc_client_status st;
        assert_int_equal(rpc_client_unary(client, &call, &resp, &st), 0);
        assert_int_equal(st.code, RPC_FAILED_PRECONDITION);
        assert_string_equal(st.message, "book 7 is UNLISTED");
        assert_null(resp);
}

static void deadline_is_enforced(void **state)
{
        Bookstore__Testing__V1__EchoResponse *resp = NULL;
        struct rpc_client_status st;
        assert_int_equal(echo("slow", 2000, 200, NULL, &resp, &st), 0);
        assert_int_equal(st.code, RPC_DEADLINE_EXCEEDED);
        assert_null(resp);
}

static void unreachable_target_is_unavailable(void **state)
{
        Bookstore__Testing__V1__EchoRequest req;
        bookstore__testing__v1__echo_request__init(&req);
        struct rpc_client_call call = {
                .target = "127.0.0.1:1", /* nothing listens on port 1 */
                .method = "/bookstore.testing.v1.TestService/Echo",
                .request = &req.base,
                .response_type = &bookstore__testing__v1__echo_response__descriptor,
                .timeout_ms = 2000,
        };
        ProtobufCMessage *resp = NULL;
        struct rpc_client_status st;
        assert_int_equal(rpc_client_unary(client, &call, &resp, &st), 0);
        assert_true(st.code == RPC_UNAVAILABLE || st.code == RPC_DEADLINE_EXCEEDED);
        /* refused connections: certainly never sent (the saga may skip its undo) */
        assert_true(st.code != RPC_UNAVAILABLE || st.not_sent);
        assert_int_equal(rpc_client_unary(client, &call, &resp, &st), 0);
        assert_int_equal(st.code, RPC_UNAVAILABLE);
        assert_true(st.not_sent);
}

/* Fail with code and message, on behalf of a caller, as adapters call peers. */
static int fail_as(int code, const char *message)
{
        Bookstore__Testing__V1__FailRequest req;
        bookstore__testing__v1__fail_request__init(&req);
        req.code = code;
        req.message = (char *)message;
        ProtobufCMessage *resp = NULL;
        int r = rpc_client_unary_as(client, target, "/bookstore.testing.v1.TestService/Fail",
                                    &req.base, &bookstore__testing__v1__fail_response__descriptor,
                                    NULL, 5000, &resp);
        assert_null(resp);
        return r;
}

static void a_call_made_while_serving_inherits_the_deadline(void **state)
{
        const struct rpc_metadata md[] = {{"x-relay", "deadline"}};
        Bookstore__Testing__V1__EchoResponse *resp = NULL;
        struct rpc_client_status st;
        assert_int_equal(echo_md("relay", 0, 1500, md, 1, &resp, &st), 0);
        assert_int_equal(st.code, RPC_ABORTED);
        long long seen = atoll(st.message);
        /* the inner call asked for 10 s; it got what was left of the outer 1.5 s */
        assert_true(seen > 0 && seen <= 1500 + DEADLINE_SLACK_MS);
}

static void a_refusal_met_while_serving_is_passed_on(void **state)
{
        const struct rpc_metadata md[] = {{"x-relay", "refusal"}};
        Bookstore__Testing__V1__EchoResponse *resp = NULL;
        struct rpc_client_status st;
        assert_int_equal(echo_md("relay", 0, 5000, md, 1, &resp, &st), 0);
        /* once -EACCES, answered UNAVAILABLE "retry" */
        assert_int_equal(st.code, RPC_PERMISSION_DENIED);
        assert_string_equal(st.message, "only the seller may");
}

static void a_peers_refusal_keeps_its_status(void **state)
{
        rpc_client_refusal_clear();
        /* once squeezed into -EACCES or -EIO, and answered UNAVAILABLE or INTERNAL */
        const int refusals[] = {RPC_PERMISSION_DENIED, RPC_INVALID_ARGUMENT,
                                RPC_FAILED_PRECONDITION, RPC_UNAUTHENTICATED};
        for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
                assert_int_equal(fail_as(refusals[i], "no, because"), -EREMOTEIO);
                const struct rpc_client_status *why = rpc_client_refusal();
                assert_non_null(why);
                assert_int_equal(why->code, refusals[i]);
                assert_string_equal(why->message, "no, because");
        }
        rpc_client_refusal_clear();
        assert_int_equal(fail_as(RPC_NOT_FOUND, "gone"), -ENOENT);
        assert_int_equal(fail_as(RPC_UNAVAILABLE, "later"), -ECONNREFUSED);
        assert_null(rpc_client_refusal()); /* only refusals are kept */
}

static void interceptors_run_in_order_and_can_reject(void **state)
{
        Bookstore__Testing__V1__EchoResponse *resp = NULL;
        struct rpc_client_status st;
        const struct rpc_metadata deny[] = {{"x-trail", "1"}, {"x-deny", "1"}};
        trail[0] = '\0';
        assert_int_equal(echo_md("x", 0, 5000, deny, 2, &resp, &st), 0);
        assert_int_equal(st.code, RPC_PERMISSION_DENIED);
        assert_string_equal(st.message, "denied by the gate");
        assert_null(resp);
        assert_string_equal(trail, "record>gate><record(PERMISSION_DENIED)");

        const struct rpc_metadata user[] = {{"x-trail", "1"}, {"x-user", "bob"}};
        trail[0] = '\0';
        assert_int_equal(echo_md("x", 0, 5000, user, 2, &resp, &st), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_string_equal(resp->principal, "bob"); /* the slot reached the handler */
        assert_string_equal(trail, "record>gate><record(OK)");
        protobuf_c_message_free_unpacked(&resp->base, NULL);
}

enum { THREADS = 8, CALLS_PER_THREAD = 50 };

static void *hammer(void *arg)
{
        long id = (long)arg, ok = 0;
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
                char msg[32];
                snprintf(msg, sizeof(msg), "t%ld-%d", id, i);
                Bookstore__Testing__V1__EchoResponse *resp;
                struct rpc_client_status st;
                if (echo(msg, 0, 10000, NULL, &resp, &st) == 0 && st.code == RPC_OK &&
                    !strcmp(resp->message, msg))
                        ok++;
                if (resp)
                        protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        return (void *)ok;
}

static void many_threads_share_one_client(void **state)
{
        pthread_t t[THREADS];
        for (long i = 0; i < THREADS; i++)
                pthread_create(&t[i], NULL, hammer, (void *)i);
        long total = 0;
        for (int i = 0; i < THREADS; i++) {
                void *ok;
                pthread_join(t[i], &ok);
                total += (long)ok;
        }
        assert_int_equal(total, THREADS * CALLS_PER_THREAD);
}

int main(void)
{
        rpc_block_signals();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(unary_call_returns_response_and_forwards_metadata),
                cmocka_unit_test(server_status_and_message_come_back),
                cmocka_unit_test(deadline_is_enforced),
                cmocka_unit_test(unreachable_target_is_unavailable),
                cmocka_unit_test(a_peers_refusal_keeps_its_status),
                cmocka_unit_test(a_call_made_while_serving_inherits_the_deadline),
                cmocka_unit_test(a_refusal_met_while_serving_is_passed_on),
                cmocka_unit_test(interceptors_run_in_order_and_can_reject),
                cmocka_unit_test(many_threads_share_one_client),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
