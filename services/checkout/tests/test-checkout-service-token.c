/* The coordinator's SERVICE token (checkout-peers-grpc) against an in-process
 * identity and order on a loopback port: one token serves many calls; a token
 * close to expiry whose renewal fails keeps being used while it is valid;
 * calls go on with the old token while one caller waits for the renewal;
 * without any token the step is unreached and the participant never called;
 * a token the participant refuses is dropped and the next call gets a new one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-peers-grpc.h"
#include "rpc/rpc.h"

#include "bookstore/identity/v1/identity.pb-c.h"
#include "bookstore/order/v1/order.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What the fake identity does, set by each test. */
static atomic_int issued;           /* tokens handed out */
static atomic_bool identity_down;   /* answer UNAVAILABLE */
static atomic_bool identity_blocks; /* wait until released (at most 3 s) */
static atomic_bool identity_waiting, identity_released;
static int lifetime_s = 3600;
static pthread_mutex_t block_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t block_cond = PTHREAD_COND_INITIALIZER;

/* What the fake order saw and answers. */
static atomic_int order_calls;
static atomic_bool order_refuses_token;
static char last_authorization[64];
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static struct rpc_server *server;
static struct rpc_client *client;
static char target[64];
static struct checkout_peers_grpc ctx;
static struct checkout_participants peers;

static void wait_for_release(void)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 3;
        pthread_mutex_lock(&block_lock);
        identity_waiting = true;
        pthread_cond_broadcast(&block_cond);
        while (!identity_released && pthread_cond_timedwait(&block_cond, &block_lock, &until) == 0)
                ;
        pthread_mutex_unlock(&block_lock);
}

static int issue_service_token(struct rpc_call *call, const ProtobufCMessage *req,
                               ProtobufCMessage **ret_resp)
{
        if (identity_blocks)
                wait_for_release();
        if (identity_down)
                return rpc_error(call, RPC_UNAVAILABLE, "identity is restarting");
        Bookstore__Identity__V1__IssueServiceTokenResponse *resp =
                rpc_call_alloc(call, sizeof(*resp));
        Google__Protobuf__Timestamp *expires = rpc_call_alloc(call, sizeof(*expires));
        char *token = rpc_call_alloc(call, 32);
        if (!resp || !expires || !token)
                return rpc_error(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        bookstore__identity__v1__issue_service_token_response__init(resp);
        google__protobuf__timestamp__init(expires);
        snprintf(token, 32, "tok-%d", atomic_fetch_add(&issued, 1) + 1);
        expires->seconds = (int64_t)time(NULL) + lifetime_s;
        resp->access_token = token;
        resp->expires_at = expires;
        *ret_resp = &resp->base;
        return RPC_OK;
}

static int change_order_status(struct rpc_call *call, const ProtobufCMessage *req,
                               ProtobufCMessage **ret_resp)
{
        const char *authorization = rpc_call_metadata(call, "authorization");
        atomic_fetch_add(&order_calls, 1);
        pthread_mutex_lock(&seen_lock);
        snprintf(last_authorization, sizeof(last_authorization), "%s",
                 authorization ? authorization : "");
        pthread_mutex_unlock(&seen_lock);
        if (order_refuses_token)
                return rpc_error(call, RPC_UNAUTHENTICATED, "token revoked");
        Bookstore__Order__V1__ChangeOrderStatusResponse *resp = rpc_call_alloc(call, sizeof(*resp));
        if (!resp)
                return rpc_error(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        bookstore__order__v1__change_order_status_response__init(resp);
        *ret_resp = &resp->base;
        return RPC_OK;
}

static const struct rpc_method_impl identity_methods[] = {
        {.name = "IssueServiceToken", .unary = issue_service_token}};
static const struct rpc_method_impl order_methods[] = {
        {.name = "ChangeOrderStatus", .unary = change_order_status}};

static int setup(void **state)
{
        (void)state;
        struct rpc_server_config cfg = {
                .listen_addr = "127.0.0.1:0",
                .workers = 4,
                .queues = 1,
                .requests_per_method = 4,
                .max_message_bytes = 1 << 20,
                .arena_max_bytes = 1 << 20,
                .max_nesting_depth = 32,
                .shutdown_grace_ms = 1000,
                .max_streams = 4,
        };
        if (rpc_server_new(&server, &cfg) < 0 ||
            rpc_server_add_service(server, &bookstore__identity__v1__identity_service__descriptor,
                                   NULL, identity_methods, 1, NULL) < 0 ||
            rpc_server_add_service(server, &bookstore__order__v1__order_service__descriptor, NULL,
                                   order_methods, 1, NULL) < 0 ||
            rpc_server_start(server) < 0 || rpc_client_new(&client) < 0)
                return -1;
        snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(server));
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        rpc_client_free(client);
        rpc_server_stop(server);
        rpc_server_free(server);
        return 0;
}

/* A fresh coordinator (no token yet) and a well-behaved identity, per test. */
static int fresh(void **state)
{
        (void)state;
        memset(&ctx, 0, sizeof(ctx));
        ctx.client = client;
        ctx.identity_target = ctx.order_target = target;
        ctx.service_name = "checkout";
        ctx.service_secret = "secret";
        ctx.timeout_ms = 10000;
        checkout_peers_grpc_init(&ctx);
        peers = checkout_peers_grpc(&ctx);
        issued = 0;
        order_calls = 0;
        lifetime_s = 3600;
        identity_down = identity_blocks = identity_waiting = identity_released = false;
        order_refuses_token = false;
        return 0;
}

static int done(void **state)
{
        (void)state;
        checkout_peers_grpc_free(&ctx);
        return 0;
}

static enum saga_outcome confirm_order(void)
{
        struct checkout_call cc = {.idempotency_key = "saga-1:confirm:order"};
        struct checkout_reply reply;
        peers.ops->set_order_status(peers.self, &cc, "order-1", CHECKOUT_ORDER_CONFIRMED, "paid",
                                    &reply);
        return reply.outcome;
}

static void expect_authorization(const char *want)
{
        pthread_mutex_lock(&seen_lock);
        assert_string_equal(last_authorization, want);
        pthread_mutex_unlock(&seen_lock);
}

static void one_token_serves_many_calls(void **state)
{
        (void)state;
        for (int i = 0; i < 3; i++)
                assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        assert_int_equal(issued, 1);
        assert_int_equal(order_calls, 3);
        expect_authorization("Bearer tok-1");
}

static void a_failed_renewal_keeps_the_valid_token_in_use(void **state)
{
        (void)state;
        lifetime_s = 30; /* inside the renewal margin: every call tries to renew */
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        identity_down = true;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        assert_int_equal(order_calls, 3);
        expect_authorization("Bearer tok-1");
        identity_down = false;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        expect_authorization("Bearer tok-2");
}

static void *confirm_in_thread(void *arg)
{
        *(enum saga_outcome *)arg = confirm_order();
        return NULL;
}

static void calls_go_on_while_one_caller_renews(void **state)
{
        (void)state;
        lifetime_s = 30;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        identity_blocks = true;
        pthread_t renewer;
        enum saga_outcome renewer_outcome = SAGA_OUTCOME_BUSINESS;
        assert_int_equal(pthread_create(&renewer, NULL, confirm_in_thread, &renewer_outcome), 0);
        pthread_mutex_lock(&block_lock);
        while (!identity_waiting)
                pthread_cond_wait(&block_cond, &block_lock);
        pthread_mutex_unlock(&block_lock);
        /* identity holds the renewal; this call must not wait for it */
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        assert_false(identity_released);
        expect_authorization("Bearer tok-1");
        pthread_mutex_lock(&block_lock);
        identity_released = true;
        pthread_cond_broadcast(&block_cond);
        pthread_mutex_unlock(&block_lock);
        pthread_join(renewer, NULL);
        assert_int_equal(renewer_outcome, SAGA_OUTCOME_OK);
        expect_authorization("Bearer tok-2");
        assert_int_equal(issued, 2);
}

static void without_a_token_the_step_is_unreached(void **state)
{
        (void)state;
        identity_down = true;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_UNREACHED);
        assert_int_equal(order_calls, 0);
        identity_down = false;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        assert_int_equal(order_calls, 1);
}

static void a_refused_token_is_replaced_on_the_next_call(void **state)
{
        (void)state;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        order_refuses_token = true;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_UNREACHED);
        order_refuses_token = false;
        assert_int_equal(confirm_order(), SAGA_OUTCOME_OK);
        expect_authorization("Bearer tok-2");
        assert_int_equal(issued, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(one_token_serves_many_calls, fresh, done),
                cmocka_unit_test_setup_teardown(a_failed_renewal_keeps_the_valid_token_in_use,
                                                fresh, done),
                cmocka_unit_test_setup_teardown(calls_go_on_while_one_caller_renews, fresh, done),
                cmocka_unit_test_setup_teardown(without_a_token_the_step_is_unreached, fresh, done),
                cmocka_unit_test_setup_teardown(a_refused_token_is_replaced_on_the_next_call, fresh,
                                                done),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
