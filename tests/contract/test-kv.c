/* libs/kv against a real Redis started by scripts/deps.sh: commands, expiry,
 * binary values, timeouts, reconnects and concurrent use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contract-env.h"
#include "kv/kv.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static struct kv_config base;
static struct kv *kv;
static char prefix[32];

static const char *key(const char *name)
{
        static __thread char buf[128];
        snprintf(buf, sizeof(buf), "%s:%s", prefix, name);
        return buf;
}

static int setup(void **state)
{
        base = (struct kv_config){
                .host = contract_env("BOOKSTORE_REDIS_HOST"),
                .port = atoi(contract_env("BOOKSTORE_REDIS_PORT")),
                .password = "",
                .pool_size = 4,
                .connect_timeout_ms = 500,
                .command_timeout_ms = 300,
        };
        snprintf(prefix, sizeof(prefix), "t%d", (int)getpid());
        return kv_new(&kv, &base);
}

static int teardown(void **state)
{
        kv_free(kv);
        return 0;
}

static void set_get_delete(void **state)
{
        char *v = NULL;
        size_t len = 0;
        assert_int_equal(kv_get(kv, key("missing"), &v, &len), -ENOENT);
        assert_int_equal(kv_set(kv, key("a"), "hello", 5, 0), 0);
        assert_int_equal(kv_get(kv, key("a"), &v, &len), 0);
        assert_int_equal(len, 5);
        assert_string_equal(v, "hello");
        free(v);
        const char bin[] = {'x', '\0', '\r', '\n', 'y'};
        assert_int_equal(kv_set(kv, key("bin"), bin, sizeof(bin), 0), 0);
        assert_int_equal(kv_get(kv, key("bin"), &v, &len), 0);
        assert_int_equal(len, sizeof(bin));
        assert_memory_equal(v, bin, sizeof(bin));
        free(v);
        int64_t deleted = -1;
        assert_int_equal(kv_del(kv, key("a"), &deleted), 0);
        assert_int_equal(deleted, 1);
        assert_int_equal(kv_del(kv, key("a"), &deleted), 0);
        assert_int_equal(deleted, 0);
        assert_int_equal(kv_get(kv, key("a"), &v, &len), -ENOENT);
}

static void values_expire(void **state)
{
        char *v = NULL;
        assert_int_equal(kv_set(kv, key("ttl"), "soon", 4, 150), 0);
        redisReply *r;
        assert_int_equal(kv_command(kv, &r, "PTTL %s", key("ttl")), 0);
        assert_true(r->integer > 0 && r->integer <= 150);
        freeReplyObject(r);
        usleep(300 * 1000);
        assert_int_equal(kv_get(kv, key("ttl"), &v, NULL), -ENOENT);
}

static void error_replies_are_errors(void **state)
{
        redisReply *r = NULL;
        assert_int_equal(kv_set(kv, key("str"), "x", 1, 0), 0);
        assert_int_equal(kv_command(kv, &r, "INCR %s", key("str")), -EIO);
        assert_null(r);
        assert_int_equal(kv_ping(kv), 0); /* connection still fine */
}

static void slow_command_times_out_and_pool_recovers(void **state)
{
        redisReply *r = NULL;
        /* the server blocks this connection for 1 s; our timeout is 300 ms */
        assert_int_equal(kv_command(kv, &r, "BLPOP %s 1", key("never")), -ETIMEDOUT);
        assert_int_equal(kv_ping(kv), 0);
}

static void killed_connection_is_reopened(void **state)
{
        struct kv_config one = base;
        one.pool_size = 1;
        struct kv *single;
        assert_int_equal(kv_new(&single, &one), 0);
        redisReply *r;
        assert_int_equal(kv_command(single, &r, "CLIENT SETNAME victim"), 0);
        freeReplyObject(r);
        assert_int_equal(kv_command(kv, &r, "CLIENT KILL TYPE normal SKIPME yes"), 0);
        freeReplyObject(r);
        int first = kv_ping(single);
        assert_true(first == 0 || first == -ECONNRESET);
        assert_int_equal(kv_ping(single), 0);
        kv_free(single);
}

static void unreachable_redis_is_refused_quickly(void **state)
{
        struct kv_config bad = base;
        bad.port = 1;
        struct kv *k;
        assert_int_equal(kv_new(&k, &bad), 0);
        assert_int_equal(kv_ping(k), -ECONNREFUSED);
        char *v;
        assert_int_equal(kv_get(k, "x", &v, NULL), -ECONNREFUSED);
        kv_free(k);
}

static void *incr_thread(void *arg)
{
        for (int i = 0; i < 100; i++) {
                redisReply *r;
                if (kv_command(kv, &r, "INCR %s", key("counter")) == 0)
                        freeReplyObject(r);
        }
        return NULL;
}

static void many_threads_share_the_pool(void **state)
{
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
                pthread_create(&t[i], NULL, incr_thread, NULL);
        for (int i = 0; i < 8; i++)
                pthread_join(t[i], NULL);
        char *v;
        assert_int_equal(kv_get(kv, key("counter"), &v, NULL), 0);
        assert_string_equal(v, "800");
        free(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(set_get_delete),
                cmocka_unit_test(values_expire),
                cmocka_unit_test(error_replies_are_errors),
                cmocka_unit_test(slow_command_times_out_and_pool_recovers),
                cmocka_unit_test(killed_connection_is_reopened),
                cmocka_unit_test(unreachable_redis_is_refused_quickly),
                cmocka_unit_test(many_threads_share_the_pool),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
