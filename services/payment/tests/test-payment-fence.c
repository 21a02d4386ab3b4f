/* Payment use cases under the saga's timing faults, against the memory store
 * (unit suite) and MariaDB (contract suite; argv[1] = "mysql"), with the
 * memory provider, which tracks every hold: an undo that overtakes its
 * authorization fences it off, a void during the provider call wins and the
 * hold is voided, what a crash left half done is finished by the next call,
 * and the provider is never asked for an operation that lost the race. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "payment-app.h"
#include "payment-memory.h"
#include "payment-mysql.h"

#include "../../../tests/contract/contract-db.h"
#include "../../../tests/contract/random-fields.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool use_mysql;
static struct payment_memory_store memory;
static struct payment_memory_provider provider;
static struct db_pool *pool;
static char schema[64];
static struct payment_app app;
static int order_no;

static struct core_env_fake fake_env = {.now_ms = 1700000000000};

static int open_mysql(void)
{
        if (contract_schema_open("bookstore_pay", payment_migrations, payment_migrations_count,
                                 schema, &pool) < 0)
                return -1;
        app.store = payment_store_mysql(pool);
        return 0;
}

static int setup(void **state)
{
        app.env = core_env_fake(&fake_env);
        payment_memory_provider_init(&provider);
        app.provider = payment_provider_memory(&provider);
        if (use_mysql)
                return open_mysql();
        payment_memory_store_init(&memory);
        app.store = payment_store_memory(&memory);
        return 0;
}

static int teardown(void **state)
{
        if (use_mysql) {
                contract_schema_drop(pool, schema);
        } else {
                payment_memory_store_free(&memory);
        }
        payment_memory_provider_free(&provider);
        return 0;
}

static const char *fresh_order(void)
{
        static char order[32];
        snprintf(order, sizeof(order), "o-%d-%d", (int)getpid(), ++order_no);
        return order;
}

static int authorize(const char *order, const char *token, int64_t deadline_left_ms,
                     struct payment *ret)
{
        struct payment_authorize_request req = {.order_id = order,
                                                .customer_id = "cust-1",
                                                .amount = {"EUR", 12, 500000000},
                                                .token = token,
                                                .deadline_left_ms = deadline_left_ms};
        return payment_authorize(&app, &req, ret);
}

static enum payment_status status_of(const char *order)
{
        struct payment p;
        assert_int_equal(app.store.ops->find(app.store.self, order, &p), 0);
        return p.status;
}

static void a_void_that_overtakes_its_authorization_fences_it_off(void **state)
{
        const char *order = fresh_order();
        struct payment p;
        /* the saga gave up on AuthorizePayment and voided: no payment yet */
        assert_int_equal(payment_apply(&app, order, PAY_VOID, &p), PE_OK);
        assert_int_equal(p.status, PAYMENT_VOIDED);
        /* the authorization arrives late: refused, and the provider never asked */
        assert_int_equal(authorize(order, "tok_ok", 2000, &p), PE_COMPENSATED);
        assert_null(payment_memory_hold_of(&provider, order));
        assert_int_equal(status_of(order), PAYMENT_VOIDED);
        /* a fence is not a payment anyone can read */
        assert_int_equal(payment_get(&app, "", ROLE_ADMIN, order, &p), PE_NOT_FOUND);
        /* a refund of nothing fences too */
        const char *other = fresh_order();
        assert_int_equal(payment_apply(&app, other, PAY_REFUND, &p), PE_OK);
        assert_int_equal(authorize(other, "tok_ok", 2000, &p), PE_COMPENSATED);
        assert_null(payment_memory_hold_of(&provider, other));
}

struct overtake {
        const char *order;
        int void_result;
};

static void void_while_at_the_provider(void *ctx, const char *key)
{
        struct overtake *o = ctx;
        provider.in_flight = NULL; /* once */
        struct payment p;
        o->void_result = payment_apply(&app, o->order, PAY_VOID, &p);
}

static void a_void_during_the_provider_call_wins_and_voids_the_hold(void **state)
{
        struct overtake o = {.order = fresh_order(), .void_result = -1};
        provider.in_flight = void_while_at_the_provider;
        provider.in_flight_ctx = &o;
        struct payment p;
        assert_int_equal(authorize(o.order, "tok_ok", 2000, &p), PE_COMPENSATED);
        assert_int_equal(o.void_result, PE_OK);
        const struct payment_memory_hold *h = payment_memory_hold_of(&provider, o.order);
        assert_non_null(h);
        assert_int_equal(h->state, HOLD_VOIDED); /* no card hold left behind */
        assert_int_equal(status_of(o.order), PAYMENT_VOIDED);
}

static void an_authorization_cut_short_by_a_crash_is_settled_by_the_void(void **state)
{
        const char *order = fresh_order();
        /* the intent was stored and the provider held the card; the process
         * died before it recorded the answer */
        struct payment intent = {.status = PAYMENT_AUTHORIZING,
                                 .amount = {"EUR", 12, 500000000},
                                 .created_at = 1,
                                 .updated_at = 1};
        core_env_new_id(&app.env, intent.id);
        snprintf(intent.order_id, sizeof(intent.order_id), "%s", order);
        snprintf(intent.customer_id, sizeof(intent.customer_id), "cust-1");
        snprintf(intent.token, sizeof(intent.token), "tok_ok");
        assert_int_equal(app.store.ops->insert(app.store.self, &intent), 0);
        struct payment_provider_result res;
        assert_int_equal(app.provider.ops->authorize(app.provider.self, order, "tok_ok",
                                                     &intent.amount, 1000, &res),
                         0);
        struct payment p;
        assert_int_equal(payment_apply(&app, order, PAY_VOID, &p), PE_OK);
        const struct payment_memory_hold *h = payment_memory_hold_of(&provider, order);
        assert_int_equal(h->state, HOLD_VOIDED);
        assert_int_equal(h->authorize_calls, 2); /* asked again, held once */
        assert_int_equal(status_of(order), PAYMENT_VOIDED);
}

static void a_claimed_capture_is_finished_before_its_refund(void **state)
{
        const char *order = fresh_order();
        struct payment p;
        assert_int_equal(authorize(order, "tok_ok", 2000, &p), PE_OK);
        assert_int_equal(p.status, PAYMENT_AUTHORIZED);
        /* the capture was claimed, then the process died before the provider heard */
        struct payment claimed = p;
        claimed.pending = PAY_CAPTURE + 1;
        assert_int_equal(app.store.ops->update(app.store.self, &claimed, PAYMENT_AUTHORIZED, 0), 0);
        /* a void cannot overtake the claimed capture: it is refused (refund it) */
        assert_int_equal(payment_apply(&app, order, PAY_VOID, &p), PE_WRONG_STATE);
        assert_int_equal(payment_memory_hold_of(&provider, order)->state, HOLD_CAPTURED);
        assert_int_equal(payment_apply(&app, order, PAY_REFUND, &p), PE_OK);
        assert_int_equal(p.status, PAYMENT_REFUNDED);
        assert_int_equal(payment_memory_hold_of(&provider, order)->state, HOLD_REFUNDED);
        assert_int_equal(payment_apply(&app, order, PAY_CAPTURE, &p), PE_WRONG_STATE);
}

static void nothing_starts_after_the_callers_deadline(void **state)
{
        const char *order = fresh_order();
        struct payment p;
        assert_int_equal(authorize(order, "tok_ok", 0, &p), PE_DEADLINE);
        assert_null(payment_memory_hold_of(&provider, order));
        assert_int_equal(app.store.ops->find(app.store.self, order, &p), -ENOENT);
}

static void a_provider_outage_leaves_an_intent_the_retry_settles(void **state)
{
        const char *order = fresh_order();
        struct payment p;
        provider.failures_left = 1;
        assert_int_equal(authorize(order, "tok_ok", 2000, &p), PE_PROVIDER_UNAVAILABLE);
        assert_int_equal(status_of(order), PAYMENT_AUTHORIZING);
        assert_int_equal(authorize(order, "tok_ok", 2000, &p), PE_OK);
        assert_int_equal(p.status, PAYMENT_AUTHORIZED);
        assert_int_equal(payment_memory_hold_of(&provider, order)->state, HOLD_AUTHORIZED);
        /* the same order with another amount or customer is refused */
        struct payment_authorize_request other = {.order_id = order,
                                                  .customer_id = "cust-1",
                                                  .amount = {"EUR", 13, 0},
                                                  .token = "tok_ok",
                                                  .deadline_left_ms = -1};
        assert_int_equal(payment_authorize(&app, &other, &p), PE_AMOUNT_MISMATCH);
        /* a decline is a result, recorded once */
        const char *declined = fresh_order();
        assert_int_equal(authorize(declined, "tok_decline", -1, &p), PE_OK);
        assert_int_equal(p.status, PAYMENT_DECLINED);
        assert_int_equal(payment_apply(&app, declined, PAY_VOID, &p), PE_OK); /* nothing held */
        assert_int_equal(status_of(declined), PAYMENT_DECLINED);
}

/* Retention: a fence goes once it is older than the retention (nothing it
 * fences off can arrive any more); payments and younger fences stay. */
static void old_fences_go_and_payments_stay(void **state)
{
        char old_fence[32], paid[32], young_fence[32]; /* fresh_order's buffer is reused */
        snprintf(old_fence, sizeof(old_fence), "%s", fresh_order());
        snprintf(paid, sizeof(paid), "%s", fresh_order());
        struct payment p;
        assert_int_equal(payment_apply(&app, old_fence, PAY_VOID, &p), PE_OK);
        assert_int_equal(authorize(paid, "tok_ok", 2000, &p), PE_OK);
        app.fence_retention_ms = 3600000;
        fake_env.now_ms += app.fence_retention_ms + 1000; /* an hour and a second later */
        snprintf(young_fence, sizeof(young_fence), "%s", fresh_order());
        assert_int_equal(payment_apply(&app, young_fence, PAY_VOID, &p), PE_OK);
        assert_int_equal(payment_prune_fences(&app), 0);
        assert_int_equal(app.store.ops->find(app.store.self, old_fence, &p), -ENOENT);
        assert_int_equal(status_of(paid), PAYMENT_AUTHORIZED); /* old, but a payment */
        assert_int_equal(status_of(young_fence), PAYMENT_VOIDED);
}

/* A field added to struct payment must be stored by both stores, generated
 * and compared below: then update the size. */
_Static_assert(sizeof(struct payment) == 416, "a payment field was added or removed");

static void expect_same_payment(const struct payment *want, const struct payment *got)
{
        assert_string_equal(got->id, want->id);
        assert_string_equal(got->order_id, want->order_id);
        assert_string_equal(got->customer_id, want->customer_id);
        assert_string_equal(got->amount.currency, want->amount.currency);
        assert_int_equal(got->amount.units, want->amount.units);
        assert_int_equal(got->amount.nanos, want->amount.nanos);
        assert_int_equal(got->status, want->status);
        assert_string_equal(got->decline_reason, want->decline_reason);
        assert_string_equal(got->provider_reference, want->provider_reference);
        assert_string_equal(got->token, want->token);
        assert_int_equal(got->pending, want->pending);
        assert_int_equal(got->created_at, want->created_at);
        assert_int_equal(got->updated_at, want->updated_at);
}

static void random_progress(struct rnd *r, struct payment *p)
{
        p->status = (enum payment_status)rnd_range(r, PAYMENT_AUTHORIZED, PAYMENT_AUTHORIZING);
        p->pending = (int)rnd_range(r, 0, PAY_REFUND + 1);
        RND_ASCII(r, p->decline_reason);
        RND_ASCII(r, p->provider_reference);
        p->updated_at = rnd_time_ms(r) / 1000;
}

/* Random valid payments (every field set, every status and pending action,
 * empty and full-length fields) inserted, updated and listed read back field
 * for field on both stores. */
static void every_field_survives_insert_update_and_list(void **state)
{
        struct payment want, got;
        for (uint64_t seed = 1; seed <= 60; seed++) {
                struct rnd r = {seed};
                memset(&want, 0, sizeof(want));
                snprintf(want.id, sizeof(want.id), "0190cccc-0000-7000-8000-%012llu",
                         (unsigned long long)seed);
                char tag[32];
                snprintf(tag, sizeof(tag), "rt%llu-%d-", (unsigned long long)seed, (int)getpid());
                RND_ASCII_TAGGED(&r, want.order_id, tag);
                RND_ASCII(&r, want.customer_id);
                rnd_ascii(&r, want.amount.currency, 3);
                want.amount.units = rnd_range(&r, 0, PAYMENT_MAX_UNITS);
                want.amount.nanos = (int32_t)rnd_range(&r, 0, 999999999);
                RND_ASCII(&r, want.token);
                random_progress(&r, &want);
                want.created_at = rnd_time_ms(&r) / 1000;
                assert_int_equal(app.store.ops->insert(app.store.self, &want), 0);
                assert_int_equal(app.store.ops->find(app.store.self, want.order_id, &got), 0);
                expect_same_payment(&want, &got);

                struct payment next = want;
                random_progress(&r, &next);
                assert_int_equal(
                        app.store.ops->update(app.store.self, &next, want.status, want.pending), 0);
                assert_int_equal(app.store.ops->find(app.store.self, want.order_id, &got), 0);
                expect_same_payment(&next, &got);
                const char *ids[] = {want.order_id};
                struct listing_filter f = {.ids = ids, .n_ids = 1, .limit = 2};
                size_t n = 0;
                assert_int_equal(app.store.ops->list(app.store.self, &f, &got, &n), 0);
                assert_int_equal(n, 1);
                expect_same_payment(&next, &got);
        }
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_void_that_overtakes_its_authorization_fences_it_off),
                cmocka_unit_test(a_void_during_the_provider_call_wins_and_voids_the_hold),
                cmocka_unit_test(an_authorization_cut_short_by_a_crash_is_settled_by_the_void),
                cmocka_unit_test(a_claimed_capture_is_finished_before_its_refund),
                cmocka_unit_test(nothing_starts_after_the_callers_deadline),
                cmocka_unit_test(a_provider_outage_leaves_an_intent_the_retry_settles),
                cmocka_unit_test(every_field_survives_insert_update_and_list),
                cmocka_unit_test(old_fences_go_and_payments_stay),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
