/* Token revocation and the rate limiter against a real Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "auth/revocation-redis.h"
#include "auth/revocation-synced.h"
#include "core/clock.h"
#include "contract-env.h"
#include "kv/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static struct kv *kv;
static char prefix[32];

static int setup(void **state)
{
        struct kv_config cfg = {
                .host = contract_env("BOOKSTORE_REDIS_HOST"),
                .port = atoi(contract_env("BOOKSTORE_REDIS_PORT")),
                .password = "",
                .pool_size = 8,
                .connect_timeout_ms = 500,
                .command_timeout_ms = 1000,
        };
        snprintf(prefix, sizeof(prefix), "t%d", (int)getpid());
        return kv_new(&kv, &cfg);
}

static int teardown(void **state)
{
        kv_free(kv);
        return 0;
}

static struct auth_principal principal(const char *subject, const char *jti, int64_t iat)
{
        struct auth_principal p = {.role = ROLE_CUSTOMER, .issued_at = iat};
        snprintf(p.subject, sizeof(p.subject), "%s-%s", prefix, subject);
        snprintf(p.jti, sizeof(p.jti), "%s-%s", prefix, jti);
        return p;
}

static bool revoked(struct auth_revocations rev, const struct auth_principal *p)
{
        bool r = true;
        assert_int_equal(rev.ops->check(rev.self, p, &r), 0);
        return r;
}

static void tokens_are_revoked_until_they_would_expire(void **state)
{
        struct auth_revocations rev = auth_revocations_redis(kv);
        struct auth_principal a = principal("alice", "jti-a", 100),
                              b = principal("alice", "jti-b", 100);
        assert_false(revoked(rev, &a));
        assert_int_equal(auth_revoke_token(kv, a.jti, 1), 0);
        assert_true(revoked(rev, &a));
        assert_false(revoked(rev, &b)); /* only that token */
        usleep(1200 * 1000);            /* the key expires with the token */
        assert_false(revoked(rev, &a));
}

static void a_subject_is_revoked_for_tokens_issued_before(void **state)
{
        struct auth_revocations rev = auth_revocations_redis(kv);
        struct auth_principal old = principal("bob", "1", 1000),
                              fresh = principal("bob", "2", 1001);
        assert_int_equal(auth_revoke_subject(kv, old.subject, 1000), 0);
        assert_true(revoked(rev, &old));
        assert_false(revoked(rev, &fresh));
        assert_int_equal(auth_unrevoke_subject(kv, old.subject), 0);
        assert_false(revoked(rev, &old));
}

static void unreachable_store_is_an_error_not_a_pass(void **state)
{
        struct kv_config cfg = CONTRACT_KV_UNREACHABLE;
        struct kv *down;
        assert_int_equal(kv_new(&down, &cfg), 0);
        struct auth_revocations rev = auth_revocations_redis(down);
        struct auth_principal p = principal("carol", "x", 1);
        bool r = false;
        assert_int_equal(rev.ops->check(rev.self, &p, &r), -ECONNREFUSED);
        struct kv_rate_limit_result res;
        assert_int_equal(kv_rate_limit_hit(down, "k", 1, 1000, 0, &res), -ECONNREFUSED);
        kv_free(down);
}

static void sliding_window_allows_limit_hits_per_window(void **state)
{
        char key[64];
        snprintf(key, sizeof(key), "%s:login:dave", prefix);
        struct kv_rate_limit_result r;
        for (int i = 0; i < 3; i++) {
                assert_int_equal(kv_rate_limit_hit(kv, key, 3, 1000, 10 * i, &r), 0);
                assert_true(r.allowed);
                assert_int_equal(r.count, i + 1);
        }
        assert_int_equal(kv_rate_limit_hit(kv, key, 3, 1000, 30, &r), 0);
        assert_false(r.allowed);
        assert_int_equal(r.retry_after_ms, 970); /* the hit at 0 leaves the window at 1000 */
        assert_int_equal(kv_rate_limit_hit(kv, key, 3, 1000, 999, &r), 0);
        assert_false(r.allowed); /* refused hits are not counted, but the window still holds 3 */
        assert_int_equal(kv_rate_limit_hit(kv, key, 3, 1000, 1001, &r), 0);
        assert_true(r.allowed); /* the hit at 0 has slid out */
        assert_int_equal(r.count, 3);
}

static atomic_int allowed_total;
static char shared_key[64];

static void *hammer(void *arg)
{
        for (int i = 0; i < 10; i++) {
                struct kv_rate_limit_result r;
                if (kv_rate_limit_hit(kv, shared_key, 25, 60000, 5000, &r) == 0 && r.allowed)
                        atomic_fetch_add(&allowed_total, 1);
        }
        return NULL;
}

static void the_limit_is_exact_under_concurrency(void **state)
{
        snprintf(shared_key, sizeof(shared_key), "%s:login:peer", prefix);
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
                pthread_create(&t[i], NULL, hammer, NULL);
        for (int i = 0; i < 8; i++)
                pthread_join(t[i], NULL);
        assert_int_equal(atomic_load(&allowed_total), 25);
}

static const struct auth_revocation_sync_config sync_cfg = {.bound_ms = 1000,
                                                            .resync_interval_ms = 60000};

/* The copy's promise for a change published at t0: from t0 + bound on, no
 * check answers as before the change -- it answers as after it, or fails
 * closed (an error). Polls until the answer is want; a wrong answer past the
 * bound breaks the promise. Failing closed is allowed while waiting (a loaded
 * machine can hold the subscription's thread back), up to ten bounds. */
static bool settles_within_bound(struct auth_revocations rev, const struct auth_principal *p,
                                 bool want)
{
        int64_t t0 = clock_monotonic_ms();
        for (;;) {
                bool r = !want;
                int e = rev.ops->check(rev.self, p, &r);
                int64_t age = clock_monotonic_ms() - t0;
                if (e == 0 && r == want)
                        return true;
                if ((e == 0 && age > sync_cfg.bound_ms) || age > 10 * sync_cfg.bound_ms)
                        return false;
                usleep(2000);
        }
}

static void the_synced_copy_follows_revocations_as_they_are_published(void **state)
{
        struct auth_revocation_set *set;
        assert_int_equal(auth_revocation_set_start(&set, kv, &sync_cfg), 0);
        struct auth_revocations rev = auth_revocations_synced(set);
        struct auth_principal a = principal("erin", "jti-a", 100),
                              b = principal("erin", "jti-b", 100);
        assert_false(revoked(rev, &a));
        assert_int_equal(auth_revoke_token(kv, a.jti, 1), 0);
        assert_true(settles_within_bound(rev, &a, true));
        assert_false(revoked(rev, &b));
        usleep(2100 * 1000); /* gone with the token (whole seconds: up to 2 s) */
        assert_false(revoked(rev, &a));
        struct auth_principal old = principal("frank", "1", 1000),
                              fresh = principal("frank", "2", 1001);
        assert_int_equal(auth_revoke_subject(kv, old.subject, 1000), 0);
        assert_true(settles_within_bound(rev, &old, true));
        assert_false(revoked(rev, &fresh));
        assert_int_equal(auth_unrevoke_subject(kv, old.subject), 0);
        assert_true(settles_within_bound(rev, &old, false));
        auth_revocation_set_stop(set);
}

static void a_new_copy_starts_from_what_was_revoked_before(void **state)
{
        struct auth_principal t = principal("gina", "jti-t", 100),
                              u = principal("hank", "jti-u", 100);
        assert_int_equal(auth_revoke_token(kv, t.jti, 60), 0);
        assert_int_equal(auth_revoke_subject(kv, u.subject, 100), 0);
        struct auth_revocation_set *set;
        assert_int_equal(auth_revocation_set_start(&set, kv, &sync_cfg), 0);
        struct auth_revocations rev = auth_revocations_synced(set);
        assert_true(revoked(rev, &t)); /* no wait: read at start */
        assert_true(revoked(rev, &u));
        auth_revocation_set_stop(set);
        assert_int_equal(auth_unrevoke_subject(kv, u.subject), 0);
}

static void a_copy_that_never_synced_fails_closed(void **state)
{
        struct kv_config cfg = CONTRACT_KV_UNREACHABLE;
        struct kv *down;
        assert_int_equal(kv_new(&down, &cfg), 0);
        struct auth_revocation_set *set;
        assert_int_equal(auth_revocation_set_start(&set, down, &sync_cfg), 0);
        struct auth_revocations rev = auth_revocations_synced(set);
        struct auth_principal p = principal("ivan", "x", 1);
        bool r = false;
        assert_int_equal(rev.ops->check(rev.self, &p, &r), -ETIMEDOUT);
        auth_revocation_set_stop(set);
        kv_free(down);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(tokens_are_revoked_until_they_would_expire),
                cmocka_unit_test(a_subject_is_revoked_for_tokens_issued_before),
                cmocka_unit_test(unreachable_store_is_an_error_not_a_pass),
                cmocka_unit_test(sliding_window_allows_limit_hits_per_window),
                cmocka_unit_test(the_limit_is_exact_under_concurrency),
                cmocka_unit_test(the_synced_copy_follows_revocations_as_they_are_published),
                cmocka_unit_test(a_new_copy_starts_from_what_was_revoked_before),
                cmocka_unit_test(a_copy_that_never_synced_fails_closed),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
