/* The auth guard's verified-token cache must not weaken it: a cached token
 * still expires on time, is still refused once revoked, and a different
 * token string (tampered) is never served from the cache. In-process test
 * service, real client, a fake clock and an in-memory revocation port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../common/test-keys.h"
#include "../testsvc/testsvc.h"
#include "auth/guard.h"
#include "rpc/client.h"

#include "bookstore/testing/v1/testing.pb-c.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static struct rpc_server *server;
static struct rpc_client *client;
static struct auth_keyset *keys;
static struct auth_guard *guard;
static char target[64];
static atomic_llong fake_now = 1800000000;
static atomic_bool revoke_everything;
static atomic_int revocation_checks;

static int64_t clock_now(void)
{
        return atomic_load(&fake_now);
}

static int fake_check(void *self, const struct auth_principal *p, bool *ret_revoked)
{
        atomic_fetch_add(&revocation_checks, 1);
        *ret_revoked = atomic_load(&revoke_everything);
        return 0;
}

static const struct auth_revocation_ops fake_revocations = {.check = fake_check};
static struct auth_guard_config cfg;

static int setup(void **state)
{
        char *priv, *pub;
        if (test_p256_keypair(&priv, &pub) < 0 || auth_keyset_new(&keys) < 0 ||
            auth_keyset_set_signing_pem(keys, "k1", priv, strlen(priv)) < 0)
                return -1;
        free(priv);
        free(pub);
        cfg = (struct auth_guard_config){
                .keys = keys,
                .params = {"bookstore-identity", "bookstore", 30},
                .revocations = {.ops = &fake_revocations},
                .now_s = clock_now,
        };
        struct rpc_server_config sc = {.listen_addr = "127.0.0.1:0",
                                       .workers = 2,
                                       .queues = 1,
                                       .requests_per_method = 4,
                                       .max_message_bytes = 1 << 20,
                                       .arena_max_bytes = 8 << 20,
                                       .max_nesting_depth = 64,
                                       .shutdown_grace_ms = 1000,
                                       .max_streams = 4};
        if (auth_guard_new(&guard, &cfg) < 0 || rpc_server_new(&server, &sc) < 0)
                return -1;
        struct rpc_interceptor ic = auth_guard_interceptor(guard);
        if (rpc_server_add_interceptor(server, &ic) < 0 || testsvc_register(server) < 0 ||
            rpc_server_start(server) < 0)
                return -1;
        snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(server));
        return rpc_client_new(&client);
}

static int teardown(void **state)
{
        rpc_client_free(client);
        rpc_server_stop(server);
        rpc_server_free(server);
        auth_guard_free(guard);
        auth_keyset_free(keys);
        return 0;
}

/* Fail(code 5) answers NOT_FOUND once past the guard (it needs any role). */
static struct rpc_client_status call_with(const char *token)
{
        Bookstore__Testing__V1__FailRequest req;
        bookstore__testing__v1__fail_request__init(&req);
        req.code = RPC_NOT_FOUND;
        req.message = "past the guard";
        char header[2100];
        snprintf(header, sizeof(header), "Bearer %s", token);
        struct rpc_metadata md[] = {{"authorization", header}};
        struct rpc_client_call call = {.target = target,
                                       .method = "/bookstore.testing.v1.TestService/Fail",
                                       .request = &req.base,
                                       .response_type =
                                               &bookstore__testing__v1__fail_response__descriptor,
                                       .timeout_ms = 5000,
                                       .metadata = md,
                                       .n_metadata = 1};
        ProtobufCMessage *resp = NULL;
        struct rpc_client_status st = {0};
        assert_int_equal(rpc_client_unary(client, &call, &resp, &st), 0);
        return st;
}

static char *fresh_token(int64_t ttl)
{
        char *t = NULL;
        assert_int_equal(auth_jwt_sign(keys, &cfg.params, "user-1", ROLE_CUSTOMER, "jti-1",
                                       atomic_load(&fake_now), ttl, &t),
                         0);
        return t;
}

static void cached_tokens_still_expire(void **state)
{
        char *t = fresh_token(60);
        for (int i = 0; i < 3; i++) /* the first verifies, the others hit the cache */
                assert_int_equal(call_with(t).code, RPC_NOT_FOUND);
        atomic_fetch_add(&fake_now, 60 + 30); /* at expiry + leeway: still accepted */
        assert_int_equal(call_with(t).code, RPC_NOT_FOUND);
        atomic_fetch_add(&fake_now, 1);
        struct rpc_client_status st = call_with(t);
        assert_int_equal(st.code, RPC_UNAUTHENTICATED);
        assert_string_equal(st.message, "invalid token: token expired");
        free(t);
}

static void cached_tokens_are_still_checked_for_revocation(void **state)
{
        char *t = fresh_token(900);
        assert_int_equal(call_with(t).code, RPC_NOT_FOUND);
        int checks = atomic_load(&revocation_checks);
        assert_int_equal(call_with(t).code, RPC_NOT_FOUND);
        assert_int_equal(atomic_load(&revocation_checks), checks + 1); /* every call */
        atomic_store(&revoke_everything, true);
        struct rpc_client_status st = call_with(t);
        assert_int_equal(st.code, RPC_UNAUTHENTICATED);
        assert_string_equal(st.message, "invalid token: revoked");
        atomic_store(&revoke_everything, false);
        free(t);
}

static void a_tampered_token_is_not_served_from_the_cache(void **state)
{
        char *t = fresh_token(900);
        assert_int_equal(call_with(t).code, RPC_NOT_FOUND); /* cached now */
        t[strlen(t) - 3] = t[strlen(t) - 3] == 'A' ? 'B' : 'A';
        struct rpc_client_status st = call_with(t);
        assert_int_equal(st.code, RPC_UNAUTHENTICATED);
        assert_string_equal(st.message, "invalid token: bad token signature");
        free(t);
}

int main(void)
{
        rpc_block_signals();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cached_tokens_still_expire),
                cmocka_unit_test(cached_tokens_are_still_checked_for_revocation),
                cmocka_unit_test(a_tampered_token_is_not_served_from_the_cache),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
