/* The simulated provider (adapters/provider): idempotent per key, the test
 * tokens' answers, tok_flaky's failures counted per key, and its memory
 * bounded by max_keys -- the newest keys remembered, the oldest forgotten --
 * through many more keys than it holds, with chains that stay intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "payment-simulated.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct payment_simulated sim;
static struct payment_provider provider;
static const struct payment_money ten = {.currency = "EUR", .units = 10};

static int authorize(const char *key, const char *token, struct payment_provider_result *ret)
{
        return provider.ops->authorize(provider.self, key, token, &ten, -1, ret);
}

static void init(int flaky, size_t max_keys)
{
        assert_int_equal(payment_simulated_init(&sim, flaky, max_keys), 0);
        provider = payment_provider_simulated(&sim);
}

static int teardown(void **state)
{
        payment_simulated_destroy(&sim);
        return 0;
}

static void the_same_key_gets_the_same_answer(void **state)
{
        init(2, 16);
        struct payment_provider_result a, b, c;
        assert_int_equal(authorize("order-1", "tok_ok", &a), 0);
        assert_true(a.approved);
        assert_int_equal(strlen(a.reference), 28);
        assert_int_equal(strncmp(a.reference, "sim_", 4), 0);
        assert_int_equal(authorize("order-1", "tok_ok", &b), 0);
        assert_string_equal(a.reference, b.reference);
        assert_int_equal(authorize("order-2", "tok_ok", &c), 0);
        assert_string_not_equal(a.reference, c.reference);
        assert_int_equal(provider.ops->capture(provider.self, a.reference), 0);
        assert_int_equal(provider.ops->void_authorization(provider.self, "other"), -EINVAL);
}

static void the_test_tokens_answer_as_documented(void **state)
{
        init(2, 16);
        struct payment_provider_result r;
        const struct {
                const char *token, *decline;
        } cases[] = {{"tok_decline", "card_declined"},
                     {"tok_insufficient_funds", "insufficient_funds"},
                     {"tok_whatever", "unknown_token"}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char key[16];
                snprintf(key, sizeof(key), "declined-%zu", i);
                assert_int_equal(authorize(key, cases[i].token, &r), 0);
                assert_false(r.approved);
                assert_string_equal(r.decline_reason, cases[i].decline);
        }
        /* tok_flaky: unavailable twice per key, then approved, then the same */
        for (int i = 0; i < 2; i++)
                assert_int_equal(authorize("flaky-1", "tok_flaky", &r), -EAGAIN);
        assert_int_equal(authorize("flaky-2", "tok_flaky", &r), -EAGAIN); /* its own count */
        assert_int_equal(authorize("flaky-1", "tok_flaky", &r), 0);
        assert_true(r.approved);
        char first[64];
        snprintf(first, sizeof(first), "%s", r.reference);
        assert_int_equal(authorize("flaky-1", "tok_flaky", &r), 0);
        assert_string_equal(r.reference, first);
}

static void memory_is_bounded_and_the_newest_keys_are_remembered(void **state)
{
        enum { KEEP = 64, MANY = 5000 };
        init(0, KEEP);
        static char refs[MANY][64];
        struct payment_provider_result r;
        for (int i = 0; i < MANY; i++) {
                char key[16];
                snprintf(key, sizeof(key), "o-%d", i);
                assert_int_equal(authorize(key, "tok_ok", &r), 0);
                snprintf(refs[i], sizeof(refs[i]), "%s", r.reference);
                assert_true(sim.n <= KEEP);
        }
        assert_int_equal(sim.n, KEEP);
        /* the newest KEEP answer as before, whatever order they are asked in */
        for (int i = MANY - 1; i >= MANY - KEEP; i--) {
                char key[16];
                snprintf(key, sizeof(key), "o-%d", i);
                assert_int_equal(authorize(key, "tok_ok", &r), 0);
                assert_string_equal(r.reference, refs[i]);
        }
        /* an old one is forgotten: asked again, it is a new authorization */
        assert_int_equal(authorize("o-0", "tok_ok", &r), 0);
        assert_string_not_equal(r.reference, refs[0]);
        assert_int_equal(sim.n, KEEP);
        payment_simulated_destroy(&sim);
        assert_int_equal(payment_simulated_init(&sim, 0, 0), -EINVAL);
        init(0, KEEP); /* the teardown frees this one */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(the_same_key_gets_the_same_answer, teardown),
                cmocka_unit_test_teardown(the_test_tokens_answer_as_documented, teardown),
                cmocka_unit_test_teardown(memory_is_bounded_and_the_newest_keys_are_remembered,
                                          teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
