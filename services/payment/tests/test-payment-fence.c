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
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
