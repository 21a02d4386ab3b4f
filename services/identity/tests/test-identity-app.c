/* The identity use cases on in-memory adapters (no database, Redis or
 * crypto): the decisions themselves -- rotation and reuse detection, logout
 * and disable revocations with the right lifetimes, rate limits, address cap,
 * service credentials -- with a clock the test moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "identity-app.h"
#include "identity-memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- adapters: the memory store, and fakes that record what they were asked */

static struct identity_memory store;
static int64_t now_s = 1000;
static unsigned counter;
static char revoked_jti[64], revoked_subject[64];
static int64_t revoked_ttl, revoked_before;
static int limiter_hits;
static int64_t wait; /* identity_login's answer: how long until the next attempt */

static int plain_hash(void *self, const char *pw, char *out, size_t len)
{
        snprintf(out, len, "plain:%s", pw);
        return 0;
}

static void (*during_verify)(void); /* runs inside the next password check, once */

static int plain_verify(void *self, const char *hash, const char *pw)
{
        void (*hook)(void) = during_verify;
        during_verify = NULL;
        if (hook)
                hook();
        return strncmp(hash, "plain:", 6) || strcmp(hash + 6, pw) ? 1 : 0;
}

static const struct identity_hasher_ops plain_hasher = {plain_hash, plain_verify};

static int fake_sign(void *self, const char *sub, unsigned role, const char *jti, int64_t at,
                     int64_t ttl, char **ret)
{
        return asprintf(ret, "access|%s|%u|%s|%lld", sub, role, jti, (long long)(at + ttl)) < 0
                       ? -ENOMEM
                       : 0;
}

static int fake_jwks(void *self, struct identity_jwks *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->document = strdup("{\"keys\":[]}");
        return ret->document ? 0 : -ENOMEM;
}

static const struct identity_signer_ops fake_signer = {fake_sign, fake_jwks};

static int rv_token(void *self, const char *jti, int64_t ttl)
{
        snprintf(revoked_jti, sizeof(revoked_jti), "%s", jti);
        revoked_ttl = ttl;
        return 0;
}

static int rv_subject(void *self, const char *sub, int64_t before)
{
        snprintf(revoked_subject, sizeof(revoked_subject), "%s", sub);
        revoked_before = before;
        return 0;
}

static int rv_unrevoke(void *self, const char *sub)
{
        revoked_subject[0] = '\0';
        return 0;
}

static const struct identity_revoker_ops fake_revoker = {rv_token, rv_subject, rv_unrevoke};

static int register_hits;

static int limit_hit(void *self, const char *key, int limit, int64_t window, bool *allowed)
{
        if (strstr(key, ":register:")) { /* registrations: as many as the limit */
                *allowed = ++register_hits <= limit;
                return 0;
        }
        limiter_hits++;
        *allowed = limiter_hits <= 3; /* the address's attempts: 3 logins pass */
        return 0;
}

/* Failures per key, with the times they happened (the fake clock's). */
enum { MAX_FAILURE_KEYS = 16, MAX_FAILURES = 64 };
static struct {
        char key[400];
        int64_t at_ms[MAX_FAILURES];
        int n;
} failures[MAX_FAILURE_KEYS];
static int n_failure_keys;

static int64_t clock_now_ms(void *self);

static int failure_slot(const char *key)
{
        for (int i = 0; i < n_failure_keys; i++)
                if (!strcmp(failures[i].key, key))
                        return i;
        assert_true(n_failure_keys < MAX_FAILURE_KEYS);
        snprintf(failures[n_failure_keys].key, sizeof(failures[0].key), "%s", key);
        failures[n_failure_keys].n = 0;
        return n_failure_keys++;
}

/* What kv_failures_claim does: the failures before, and the attempt added
 * (its member: the index, as text). */
static int fake_claim(void *self, const char *key, int64_t window_ms, int64_t *ret_count,
                      int64_t *ret_last_ms, char member[64])
{
        int k = failure_slot(key);
        int64_t now = clock_now_ms(NULL);
        *ret_count = 0;
        *ret_last_ms = 0;
        for (int i = 0; i < failures[k].n; i++)
                if (failures[k].at_ms[i] > now - window_ms) {
                        (*ret_count)++;
                        *ret_last_ms = failures[k].at_ms[i];
                }
        assert_true(failures[k].n < MAX_FAILURES);
        snprintf(member, 64, "%d", failures[k].n);
        failures[k].at_ms[failures[k].n++] = now;
        return 0;
}

static int fake_withdraw(void *self, const char *key, const char *member)
{
        int k = failure_slot(key), i = atoi(member);
        if (i < failures[k].n)
                failures[k].at_ms[i] = INT64_MIN / 2; /* out of every window */
        return 0;
}

static int fake_forget(void *self, const char *key)
{
        failures[failure_slot(key)].n = 0;
        return 0;
}

static const struct identity_limiter_ops counting_limiter = {
        .hit = limit_hit, .claim = fake_claim, .withdraw = fake_withdraw, .forget = fake_forget};

static int64_t clock_now_ms(void *self)
{
        return now_s * 1000;
}

static void counting_id(void *self, char out[37])
{
        snprintf(out, 37, "00000000-0000-4000-8000-%012d", counter++);
}

static void counting_random(void *self, void *buf, size_t len)
{
        unsigned char *b = buf;
        for (size_t i = 0; i < len; i++)
                b[i] = (unsigned char)(counter++ * 131 + i);
}

static const struct core_env_ops test_env = {clock_now_ms, counting_id, counting_random};

static void fake_digest(void *self, const char *in, char out[65])
{
        snprintf(out, 65, "digest-of-%.50s", in);
}

static const struct identity_digest_ops fake_digest_ops = {fake_digest};

static struct identity_app app;

static int setup(void **state)
{
        identity_memory_init(&store);
        limiter_hits = 0;
        n_failure_keys = 0;
        now_s = 1000;
        revoked_jti[0] = revoked_subject[0] = '\0';
        static const struct identity_service_client clients[] = {
                {"checkout", "s3cret-s3cret-s3cret"}};
        app = (struct identity_app){
                .cfg = {.access_ttl_s = 900,
                        .token_leeway_s = 30,
                        .refresh_ttl_s = 3600,
                        .service_token_ttl_s = 300,
                        .login_limit_per_peer = 50,
                        .login_throttle_peer = {.free = 3, .base_ms = 1000, .max_ms = 8000},
                        .login_throttle_account = {.free = 5, .base_ms = 1000, .max_ms = 8000},
                        .login_failure_window_ms = 900000,
                        .register_limit_per_peer = 10,
                        .login_window_ms = 60000,
                        .limit_namespace = "t",
                        .service_clients = clients,
                        .n_service_clients = 1},
                .users = identity_users_memory(&store),
                .refresh = identity_refresh_memory(&store),
                .hasher = {&plain_hasher, NULL},
                .signer = {&fake_signer, NULL},
                .revoker = {&fake_revoker, NULL},
                .limiter = {&counting_limiter, NULL},
                .env = {&test_env, NULL},
                .digest = {&fake_digest_ops, NULL},
        };
        return identity_app_init(&app);
}

static int teardown(void **state)
{
        (void)state;
        identity_memory_free(&store);
        return 0;
}

/* ---- the use cases ------------------------------------------------------ */

static struct identity_user registered(const char *email)
{
        struct identity_user u;
        assert_int_equal(
                identity_register(&app, email, "a-good-password-1", "Reader", "10.0.0.1", &u),
                IDE_OK);
        return u;
}

static void registration_and_login(void **state)
{
        struct identity_user u = registered("Ann@Example.com"), dup;
        assert_string_equal(u.email, "ann@example.com");
        assert_int_equal(u.role, ROLE_CUSTOMER);
        assert_string_equal(u.password_hash, "plain:a-good-password-1"); /* hashed by the port */
        assert_int_equal(
                identity_register(&app, "ANN@example.com", "another-pass-1", "X", "10.0.0.1", &dup),
                IDE_EMAIL_TAKEN);
        struct identity_tokens t;
        struct identity_user who;
        assert_int_equal(
                identity_login(&app, "ann@example.com", "wrong-pass-1", "1.2.3.4", &t, &who, &wait),
                IDE_BAD_CREDENTIALS);
        assert_int_equal(
                identity_login(&app, "bob@example.com", "wrong-pass-1", "1.2.3.4", &t, &who, &wait),
                IDE_BAD_CREDENTIALS);
        assert_int_equal(identity_login(&app, "ann@example.com", "a-good-password-1", "1.2.3.4", &t,
                                        &who, &wait),
                         IDE_OK);
        assert_int_equal(t.access_expires_at, 1000 + 900);
        assert_int_equal(t.refresh_expires_at, 1000 + 3600);
        assert_non_null(strstr(t.access, who.id));
        identity_tokens_clear(&t);
        /* the fourth login in the window is refused */
        assert_int_equal(identity_login(&app, "ann@example.com", "a-good-password-1", "1.2.3.4", &t,
                                        &who, &wait),
                         IDE_RATE_LIMITED);
}

static void refresh_rotates_and_reuse_revokes_the_family(void **state)
{
        registered("cy@example.com");
        struct identity_tokens first, second, third;
        struct identity_user who;
        assert_int_equal(identity_login(&app, "cy@example.com", "a-good-password-1", "1.1.1.1",
                                        &first, &who, &wait),
                         IDE_OK);
        assert_int_equal(identity_refresh(&app, first.refresh, &second), IDE_OK);
        assert_string_not_equal(second.refresh, first.refresh);
        assert_int_equal(identity_refresh(&app, first.refresh, &third), IDE_REFRESH_REUSED);
        assert_int_equal(identity_refresh(&app, second.refresh, &third), IDE_REFRESH_INVALID);
        now_s += 3600; /* a fresh login's token expires with time */
        struct identity_tokens late, out;
        limiter_hits = 0;
        assert_int_equal(identity_login(&app, "cy@example.com", "a-good-password-1", "1.1.1.1",
                                        &late, &who, &wait),
                         IDE_OK);
        now_s += 3600;
        assert_int_equal(identity_refresh(&app, late.refresh, &out), IDE_REFRESH_INVALID);
        identity_tokens_clear(&first);
        identity_tokens_clear(&second);
        identity_tokens_clear(&late);
}

static void logout_revokes_for_the_rest_of_the_token_life(void **state)
{
        struct identity_user u = registered("dee@example.com");
        struct identity_caller caller = {u.id, ROLE_CUSTOMER, "jti-42", 1000 + 900};
        now_s = 1600;
        assert_int_equal(identity_logout(&app, &caller, NULL), IDE_OK);
        assert_string_equal(revoked_jti, "jti-42");
        assert_int_equal(revoked_ttl, 300 + 30); /* exp - now, and the guards' leeway past exp */
        /* a logout inside the leeway revokes for the rest of it, not 1 s */
        now_s = 1000 + 900 + 10;
        assert_int_equal(identity_logout(&app, &caller, NULL), IDE_OK);
        assert_int_equal(revoked_ttl, 20);
}

static char disable_who[64];
static void disable_now(void)
{
        struct identity_user after;
        assert_int_equal(identity_disable_user(&app, disable_who, &after), IDE_OK);
        now_s += 1; /* the check is slow: the token would be signed a second later */
}

/* An admin disables the account while its login's password is being
 * checked: the login must not end with tokens issued after the disable. */
static void a_login_in_flight_when_the_account_is_disabled_gets_no_tokens(void **state)
{
        struct identity_user u = registered("fay@example.com"), who;
        struct identity_tokens t = {0};
        snprintf(disable_who, sizeof(disable_who), "%s", u.id);
        during_verify = disable_now;
        assert_int_equal(identity_login(&app, "fay@example.com", "a-good-password-1", "9.9.9.8", &t,
                                        &who, &wait),
                         IDE_ACCOUNT_DISABLED);
        assert_null(t.access);
        identity_tokens_clear(&t);
}

static void disabling_revokes_everything_issued_so_far(void **state)
{
        struct identity_user u = registered("eve@example.com"), after;
        struct identity_tokens t, r;
        struct identity_user who;
        assert_int_equal(identity_login(&app, "eve@example.com", "a-good-password-1", "9.9.9.9", &t,
                                        &who, &wait),
                         IDE_OK);
        now_s = 1234;
        assert_int_equal(identity_disable_user(&app, u.id, &after), IDE_OK);
        assert_true(after.disabled);
        assert_string_equal(revoked_subject, u.id);
        assert_int_equal(revoked_before, 1234);
        assert_int_equal(identity_refresh(&app, t.refresh, &r), IDE_REFRESH_INVALID);
        limiter_hits = 0;
        assert_int_equal(identity_login(&app, "eve@example.com", "a-good-password-1", "9.9.9.9", &r,
                                        &who, &wait),
                         IDE_ACCOUNT_DISABLED);
        identity_tokens_clear(&t);
}

static void addresses_are_capped_at_three(void **state)
{
        struct identity_user u = registered("fay@example.com");
        struct identity_caller caller = {u.id, ROLE_CUSTOMER, "j", 2000};
        for (int i = 0; i < 3; i++) {
                struct identity_address a = {.recipient = "R",
                                             .line1 = "L",
                                             .city = "C",
                                             .postal_code = "P",
                                             .country_code = "fr"};
                assert_int_equal(identity_add_address(&app, &caller, &a), IDE_OK);
                assert_int_equal(strlen(a.id), 36);
        }
        struct identity_address extra = {.recipient = "R",
                                         .line1 = "L",
                                         .city = "C",
                                         .postal_code = "P",
                                         .country_code = "FR"};
        assert_int_equal(identity_add_address(&app, &caller, &extra), IDE_ADDRESS_LIMIT);
        assert_int_equal(identity_remove_address(&app, &caller, "nope"), IDE_ADDRESS_NOT_FOUND);
}

static void service_tokens_need_the_right_secret(void **state)
{
        char *tok = NULL;
        int64_t exp;
        assert_int_equal(
                identity_issue_service_token(&app, "checkout", "s3cret-s3cret-s3cret", &tok, &exp),
                IDE_OK);
        assert_non_null(strstr(tok, "service:checkout|8|")); /* SERVICE role bit */
        assert_int_equal(exp, now_s + 300);
        free(tok);
        assert_int_equal(
                identity_issue_service_token(&app, "checkout", "s3cret-s3cret-s3creX", &tok, &exp),
                IDE_SERVICE_CREDENTIALS);
        assert_int_equal(
                identity_issue_service_token(&app, "other", "s3cret-s3cret-s3cret", &tok, &exp),
                IDE_SERVICE_CREDENTIALS);
}

/* OWASP-style throttling: failures slow down the account from the address
 * they come from, doubling, and never lock the owner out elsewhere; a
 * success clears them; many failures from anywhere slow the account too. */
static void failed_logins_slow_that_address_down_not_the_owner(void **state)
{
        (void)state;
        registered("ann@example.com");
        struct identity_tokens t;
        struct identity_user who;
        app.cfg.login_limit_per_peer = 1000;
        limiter_hits = -1000000;    /* the address's attempt budget is not what is tested here */
        for (int i = 0; i < 3; i++) /* the free failures */
                assert_int_equal(identity_login(&app, "ann@example.com", "wrong-pass-1", "6.6.6.6",
                                                &t, &who, &wait),
                                 IDE_BAD_CREDENTIALS);
        /* the fourth attempt waits a second -- the right password too: not checked */
        assert_int_equal(identity_login(&app, "ann@example.com", "a-good-password-1", "6.6.6.6", &t,
                                        &who, &wait),
                         IDE_LOGIN_DELAYED);
        assert_int_equal(wait, 1000);
        /* the owner, from another address, logs in at once */
        assert_int_equal(identity_login(&app, "ann@example.com", "a-good-password-1", "7.7.7.7", &t,
                                        &who, &wait),
                         IDE_OK);
        identity_tokens_clear(&t);
        /* after the wait one more guess, then twice as long */
        now_s += 1;
        assert_int_equal(
                identity_login(&app, "ann@example.com", "wrong-pass-1", "6.6.6.6", &t, &who, &wait),
                IDE_BAD_CREDENTIALS);
        assert_int_equal(
                identity_login(&app, "ann@example.com", "wrong-pass-1", "6.6.6.6", &t, &who, &wait),
                IDE_LOGIN_DELAYED);
        assert_int_equal(wait, 2000);
        /* four failures so far; one more, from a third address, reaches the account's own
         * threshold (5): every address waits now, the owner's too */
        assert_int_equal(
                identity_login(&app, "ann@example.com", "wrong-pass-1", "8.8.8.8", &t, &who, &wait),
                IDE_BAD_CREDENTIALS);
        assert_int_equal(identity_login(&app, "ann@example.com", "a-good-password-1", "7.7.7.7", &t,
                                        &who, &wait),
                         IDE_LOGIN_DELAYED);
        assert_int_equal(wait, 1000);
        /* a success clears that address's failures (the account's stay until they age out) */
        now_s += 10;
        assert_int_equal(identity_login(&app, "ann@example.com", "a-good-password-1", "6.6.6.6", &t,
                                        &who, &wait),
                         IDE_OK);
        identity_tokens_clear(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(registration_and_login, setup, teardown),
                cmocka_unit_test_setup_teardown(failed_logins_slow_that_address_down_not_the_owner,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(refresh_rotates_and_reuse_revokes_the_family, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(
                        a_login_in_flight_when_the_account_is_disabled_gets_no_tokens, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(logout_revokes_for_the_rest_of_the_token_life,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(disabling_revokes_everything_issued_so_far, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(addresses_are_capped_at_three, setup, teardown),
                cmocka_unit_test_setup_teardown(service_tokens_need_the_right_secret, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
