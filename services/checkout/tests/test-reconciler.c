/* The reconciler's pass (app/reconciler.c) on the memory saga and divergence
 * stores, with participants whose records a test writes and whose repairs
 * change them: every kind is found once and logged once, the safe kinds are
 * repaired with their own idempotency keys, the rest stay open until they go
 * away, an order a saga is moving or that just changed is left alone, a
 * failed repair is tried again, one applied whose answer was lost is not
 * repeated, and a participant that cannot be read stops the pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-divergences-memory.h"
#include "checkout-store-memory.h"
#include "core/listing.h"
#include "core/log.h"
#include "reconciler.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { PENDING = 1, PAYMENT_AUTHORIZED_ORDER = 2, CONFIRMED = 3, REJECTED = 6, CANCELLED = 8 };
enum { AUTHORIZED = 1, CAPTURED = 2, VOIDED = 3, REFUNDED = 4 };
enum { RESERVED = 1, RELEASED = 2, COMMITTED = 3 };
enum { MAX_ROWS = 16, SETTLED_S = 120 };

static struct core_env_fake fake;
static struct checkout_memory_store sagas;
static struct checkout_memory_divergences divergences;
static struct checkout_app app;
static struct reconciler *rc;
static struct checkout_view rows[3][MAX_ROWS]; /* orders, payments, reservations */
static size_t n_rows[3];
static char repairs[8][128]; /* the keys of the repair calls */
static size_t n_repairs;
static bool repairs_fail;
static bool replies_lost;   /* a repair is applied, its answer never comes back */
static int views_down = -1; /* a source that cannot be read; -1: none */

static void put(enum checkout_view_source source, const char *order_id, int status)
{
        for (size_t i = 0; i < n_rows[source]; i++)
                if (!strcmp(rows[source][i].order_id, order_id)) {
                        rows[source][i].status = status;
                        rows[source][i].updated_s = fake.now_ms / 1000;
                        return;
                }
        struct checkout_view *v = &rows[source][n_rows[source]++];
        snprintf(v->order_id, sizeof(v->order_id), "%s", order_id);
        v->status = status;
        v->updated_s = fake.now_ms / 1000 - SETTLED_S; /* in the window, past the grace */
}

static void order(const char *id, int o, int p, int r)
{
        if (o)
                put(CHECKOUT_VIEW_ORDERS, id, o);
        if (p)
                put(CHECKOUT_VIEW_PAYMENTS, id, p);
        if (r)
                put(CHECKOUT_VIEW_RESERVATIONS, id, r);
}

static int views_list(void *self, enum checkout_view_source source,
                      const struct checkout_view_query *q, struct checkout_view *ret, size_t *ret_n,
                      char next_token[PAGE_KEY_MAX + 1])
{
        if ((int)source == views_down)
                return -ECONNREFUSED;
        struct listing_filter f = {.status = q->status,
                                   .ids = q->order_ids,
                                   .n_ids = q->n_order_ids,
                                   .updated_since_s = q->updated_since_s};
        *ret_n = 0;
        for (size_t i = 0; i < n_rows[source]; i++)
                if (listing_matches(&f, rows[source][i].order_id, rows[source][i].status,
                                    rows[source][i].updated_s))
                        ret[(*ret_n)++] = rows[source][i];
        next_token[0] = '\0';
        return 0;
}

static const struct checkout_views_ops views_ops = {.list = views_list};

static void repaired(const struct checkout_call *call, enum checkout_view_source source,
                     const char *order_id, int status, struct checkout_reply *ret)
{
        snprintf(repairs[n_repairs++], sizeof(repairs[0]), "%s", call->idempotency_key);
        if (repairs_fail) {
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_UNREACHED,
                                               .error = "UNAVAILABLE: down"};
                return;
        }
        put(source, order_id, status);
        *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_OK};
        if (replies_lost)
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error = "DEADLINE_EXCEEDED: deadline exceeded"};
}

static void p_payment(void *self, const struct checkout_call *call, enum checkout_payment_op op,
                      const char *order_id, struct checkout_reply *ret)
{
        assert_int_equal(op, CHECKOUT_PAY_VOID);
        repaired(call, CHECKOUT_VIEW_PAYMENTS, order_id, VOIDED, ret);
}

static void p_stock(void *self, const struct checkout_call *call, enum checkout_stock_op op,
                    const char *order_id, struct checkout_reply *ret)
{
        assert_int_equal(op, CHECKOUT_STOCK_RELEASE);
        repaired(call, CHECKOUT_VIEW_RESERVATIONS, order_id, RELEASED, ret);
}

static void p_status(void *self, const struct checkout_call *call, const char *order_id,
                     enum checkout_order_status status, const char *reason,
                     struct checkout_reply *ret)
{
        assert_int_equal(status, CHECKOUT_ORDER_REJECTED);
        repaired(call, CHECKOUT_VIEW_ORDERS, order_id, REJECTED, ret);
}

static const struct checkout_participants_ops peers_ops = {
        .payment = p_payment, .stock = p_stock, .set_order_status = p_status};

static int setup(void **state)
{
        fake = (struct core_env_fake){.now_ms = 10000000, .rng = 3};
        memset(rows, 0, sizeof(rows));
        memset(n_rows, 0, sizeof(n_rows));
        n_repairs = 0;
        repairs_fail = replies_lost = false;
        views_down = -1;
        struct core_env env = core_env_fake(&fake);
        checkout_memory_store_init(&sagas, env);
        checkout_memory_divergences_init(&divergences);
        app = (struct checkout_app){
                .store = checkout_store_memory(&sagas),
                .peers = {.ops = &peers_ops},
                .env = env,
                .views = {.ops = &views_ops},
                .divergences = checkout_divergences_memory(&divergences),
                .cfg = {.reconcile_window_ms = 3600000,
                        .reconcile_grace_ms = 30000,
                        .reconcile_max_orders = 1000,
                        .reconcile_repair = true,
                        .lease_ms = 1000,
                        .owner = "me"},
        };
        return reconciler_start(&rc, &app);
}

static int teardown(void **state)
{
        reconciler_stop(rc);
        checkout_memory_divergences_free(&divergences);
        checkout_memory_store_free(&sagas);
        return 0;
}

static struct checkout_reconcile_report run(void)
{
        struct checkout_reconcile_report rep;
        assert_int_equal(reconciler_run(rc, &rep), 0);
        return rep;
}

static enum divergence_status status_of(const char *order_id, enum divergence_kind kind)
{
        struct checkout_divergence d[8];
        size_t n = 0;
        struct checkout_divergence_query q = {.order_id = order_id, .kind = kind, .limit = 8};
        assert_int_equal(app.divergences.ops->list(app.divergences.self, &q, d, &n), 0);
        return n ? d[0].status : 0;
}

static void every_kind_is_found_once_and_the_safe_ones_repaired(void **state)
{
        order("o1", REJECTED, AUTHORIZED, RELEASED);   /* a hold left behind: voided */
        order("o2", CANCELLED, REFUNDED, RESERVED);    /* stock held: released */
        order("o3", CONFIRMED, AUTHORIZED, COMMITTED); /* sold, never captured: a person */
        order("o4", REJECTED, CAPTURED, RELEASED);     /* money taken, no sale: a person */
        order("o5", CONFIRMED, CAPTURED, COMMITTED);   /* fine */
        order("o6", CONFIRMED, REFUNDED, COMMITTED);   /* refunded, still sold: a person */
        order("o0", REJECTED, CAPTURED, RELEASED);     /* the same as o4, but ... */
        for (int source = 0; source < 3; source++)     /* ... changed before the window */
                rows[source][n_rows[source] - 1].updated_s -= app.cfg.reconcile_window_ms / 1000;
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.examined, 6);
        assert_int_equal(r.found, 5);
        assert_int_equal(r.repaired, 2);
        assert_int_equal(n_repairs, 2);
        assert_string_equal(repairs[0], "reconcile:o1:void_payment");
        assert_string_equal(repairs[1], "reconcile:o2:release_stock");
        assert_int_equal(status_of("o1", DIVERGENCE_AUTHORIZED_WITHOUT_SAGA), DIVERGENCE_REPAIRED);
        assert_int_equal(status_of("o2", DIVERGENCE_RESERVED_FOR_CLOSED_ORDER),
                         DIVERGENCE_REPAIRED);
        assert_int_equal(status_of("o3", DIVERGENCE_CONFIRMED_NOT_PAID), DIVERGENCE_OPEN);
        assert_int_equal(status_of("o4", DIVERGENCE_PAID_NOT_CONFIRMED), DIVERGENCE_OPEN);
        assert_int_equal(status_of("o6", DIVERGENCE_REFUNDED_STILL_CONFIRMED), DIVERGENCE_OPEN);
        assert_int_equal(status_of("o5", 0), 0);
        assert_int_equal(status_of("o0", 0), 0); /* not looked at: no hold, out of the window */
        assert_int_equal(r.open[DIVERGENCE_CONFIRMED_NOT_PAID], 1);
        assert_int_equal(r.open[DIVERGENCE_AUTHORIZED_WITHOUT_SAGA], 0);
        /* seen again: not new, nothing repaired twice */
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(r.found, 0);
        assert_int_equal(r.repaired, 0);
        assert_int_equal(n_repairs, 2);
        /* an operator captures o3's payment: resolved; it breaks again: new again */
        put(CHECKOUT_VIEW_PAYMENTS, "o3", CAPTURED);
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(r.resolved, 1);
        assert_int_equal(status_of("o3", DIVERGENCE_CONFIRMED_NOT_PAID), DIVERGENCE_RESOLVED);
        put(CHECKOUT_VIEW_PAYMENTS, "o3", VOIDED);
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(r.found, 1);
        assert_int_equal(status_of("o3", DIVERGENCE_CONFIRMED_NOT_PAID), DIVERGENCE_OPEN);
}

static void an_order_a_saga_moves_or_that_just_changed_is_left_alone(void **state)
{
        struct checkout_saga s = {.kind = CHECKOUT_KIND_CHECKOUT};
        snprintf(s.customer_id, sizeof(s.customer_id), "cust-1");
        snprintf(s.idempotency_key, sizeof(s.idempotency_key), "k1");
        snprintf(s.order_id, sizeof(s.order_id), "o7");
        assert_int_equal(checkout_saga_insert(&app, &s), 0);
        order("o7", PENDING, AUTHORIZED, RESERVED); /* mid-checkout */
        fake.now_ms += 60000;
        order("o8", REJECTED, AUTHORIZED, 0);
        put(CHECKOUT_VIEW_ORDERS, "o8", REJECTED); /* changed just now */
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 0);
        assert_int_equal(n_repairs, 0);
        fake.now_ms += app.cfg.reconcile_grace_ms + 1000;
        r = run();
        assert_int_equal(r.found, 1); /* o8, once it settled; o7 still has its saga */
        assert_int_equal(status_of("o8", DIVERGENCE_AUTHORIZED_WITHOUT_SAGA), DIVERGENCE_REPAIRED);
        assert_int_equal(status_of("o7", 0), 0);
}

static void a_failed_repair_is_tried_again_and_without_repairs_all_stay_open(void **state)
{
        order("o9", REJECTED, VOIDED, RESERVED);
        repairs_fail = true;
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 1);
        assert_int_equal(r.failed, 1);
        assert_int_equal(status_of("o9", DIVERGENCE_RESERVED_FOR_CLOSED_ORDER), DIVERGENCE_OPEN);
        repairs_fail = false;
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(r.found, 0);
        assert_int_equal(r.repaired, 1);
        assert_int_equal(n_repairs, 2); /* the same key both times */
        assert_string_equal(repairs[0], repairs[1]);
        app.cfg.reconcile_repair = false;
        order("o10", CANCELLED, AUTHORIZED, 0);
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(r.found, 1);
        assert_int_equal(n_repairs, 2);
        assert_int_equal(status_of("o10", DIVERGENCE_AUTHORIZED_WITHOUT_SAGA), DIVERGENCE_OPEN);
}

static void a_participant_that_cannot_be_read_stops_the_pass(void **state)
{
        order("o11", CONFIRMED, VOIDED, COMMITTED);
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 1);
        /* inventory down: without its side nothing is compared, nothing closed */
        put(CHECKOUT_VIEW_PAYMENTS, "o11", CAPTURED);
        fake.now_ms += 60000;
        views_down = CHECKOUT_VIEW_RESERVATIONS;
        assert_int_equal(reconciler_run(rc, &r), -ECONNREFUSED);
        assert_int_equal(status_of("o11", DIVERGENCE_CONFIRMED_NOT_PAID), DIVERGENCE_OPEN);
        views_down = -1;
        r = run();
        assert_int_equal(r.resolved, 1);
}

static void a_repair_applied_whose_answer_was_lost_is_resolved_not_repeated(void **state)
{
        order("o12", REJECTED, AUTHORIZED, 0);
        replies_lost = true; /* the void happens; the reconciler hears nothing back */
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 1);
        assert_int_equal(r.failed, 1);
        assert_int_equal(status_of("o12", DIVERGENCE_AUTHORIZED_WITHOUT_SAGA), DIVERGENCE_OPEN);
        /* the next pass sees the payment voided: nothing to repair, the divergence gone */
        replies_lost = false;
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(r.repaired, 0);
        assert_int_equal(r.resolved, 1);
        assert_int_equal(n_repairs, 1); /* not asked again */
        assert_int_equal(status_of("o12", DIVERGENCE_AUTHORIZED_WITHOUT_SAGA), DIVERGENCE_RESOLVED);
}

/* Moves an order's records to before the window: only a hold or an open
 * divergence brings it into a pass now. */
static void age_out(const char *order_id)
{
        for (int source = 0; source < 3; source++)
                for (size_t i = 0; i < n_rows[source]; i++)
                        if (!strcmp(rows[source][i].order_id, order_id))
                                rows[source][i].updated_s -= app.cfg.reconcile_window_ms / 1000;
}

/* A budget of 3 orders and 5 orders changed in the window: the old hold and
 * the open divergence are still looked at (they come first), and an order
 * counts once however many listings name it. */
static void holds_and_open_divergences_come_first_within_the_budget(void **state)
{
        order("o40", REJECTED, CAPTURED, RELEASED); /* a person's: stays open */
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 1);
        put(CHECKOUT_VIEW_PAYMENTS, "o40", REFUNDED); /* an operator refunds it ... */
        age_out("o40");                               /* ... long ago */
        order("o41", REJECTED, AUTHORIZED, RELEASED); /* a hold left behind ... */
        age_out("o41");                               /* ... long ago */
        const char *busy[] = {"o42", "o43", "o44", "o45", "o46"};
        for (size_t i = 0; i < 5; i++)
                order(busy[i], CONFIRMED, CAPTURED, COMMITTED); /* fine, in the window */
        app.cfg.reconcile_max_orders = 3;
        fake.now_ms += 60000;
        r = run();
        assert_true(r.truncated);
        assert_int_equal(r.examined, 3); /* o40, o41 and one busy order, each once */
        assert_int_equal(r.resolved, 1);
        assert_int_equal(status_of("o40", DIVERGENCE_PAID_NOT_CONFIRMED), DIVERGENCE_RESOLVED);
        assert_int_equal(r.repaired, 1);
        assert_int_equal(status_of("o41", DIVERGENCE_AUTHORIZED_WITHOUT_SAGA), DIVERGENCE_REPAIRED);
}

/* An order left in a checkout's middle with no saga (a ForceCompensate while
 * the first call was out, or an order made without a checkout): its hold is
 * voided, its stock released, then the order rejected. */
static void an_order_no_saga_owns_is_rejected_and_releases_what_it_holds(void **state)
{
        order("o50", PENDING, AUTHORIZED, RESERVED);
        age_out("o50"); /* found whatever its age */
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 2);
        assert_int_equal(r.repaired, 2);
        assert_int_equal(n_repairs, 3);
        assert_string_equal(repairs[0], "reconcile:o50:void_payment");
        assert_string_equal(repairs[1], "reconcile:o50:reject_order");
        assert_string_equal(repairs[2], "reconcile:o50:reject_order:order");
        assert_int_equal(status_of("o50", DIVERGENCE_ORDER_WITHOUT_SAGA), DIVERGENCE_REPAIRED);
        assert_int_equal(rows[CHECKOUT_VIEW_ORDERS][0].status, REJECTED);
        assert_int_equal(rows[CHECKOUT_VIEW_RESERVATIONS][0].status, RELEASED);
        /* with its saga running, the same order is left alone */
        struct checkout_saga s = {.kind = CHECKOUT_KIND_CHECKOUT};
        snprintf(s.customer_id, sizeof(s.customer_id), "cust-1");
        snprintf(s.idempotency_key, sizeof(s.idempotency_key), "k51");
        snprintf(s.order_id, sizeof(s.order_id), "o51");
        assert_int_equal(checkout_saga_insert(&app, &s), 0);
        order("o51", PAYMENT_AUTHORIZED_ORDER, AUTHORIZED, RESERVED);
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(status_of("o51", 0), 0);
}

/* The order exists, its saga has not recorded its id yet (its coordinator
 * stopped right after place_order): the order's key names the saga, which
 * is still running -- not an order without a saga. Once that saga ended
 * without it, it is one. */
static void an_order_whose_saga_has_not_recorded_it_yet_is_left_alone(void **state)
{
        struct checkout_saga s = {.kind = CHECKOUT_KIND_CHECKOUT};
        snprintf(s.customer_id, sizeof(s.customer_id), "cust-1");
        snprintf(s.idempotency_key, sizeof(s.idempotency_key), "k60");
        assert_int_equal(checkout_saga_insert(&app, &s), 0); /* no order id yet */
        order("o60", PENDING, 0, 0);
        age_out("o60");
        snprintf(rows[CHECKOUT_VIEW_ORDERS][n_rows[CHECKOUT_VIEW_ORDERS] - 1].saga_id, 37, "%s",
                 s.id);
        struct checkout_reconcile_report r = run();
        assert_int_equal(r.found, 0);
        assert_int_equal(status_of("o60", 0), 0);
        s.state.status = SAGA_COMPENSATED; /* it ended (forced) without recording the order */
        assert_int_equal(app.store.ops->save(app.store.self, &s, "me", 1000, NULL, 0), 0);
        fake.now_ms += 60000;
        r = run();
        assert_int_equal(status_of("o60", DIVERGENCE_ORDER_WITHOUT_SAGA), DIVERGENCE_REPAIRED);
}

int main(void)
{
        log_set_min_level(LOG_ERROR);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(every_kind_is_found_once_and_the_safe_ones_repaired,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        an_order_a_saga_moves_or_that_just_changed_is_left_alone, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_failed_repair_is_tried_again_and_without_repairs_all_stay_open, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(a_participant_that_cannot_be_read_stops_the_pass,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_repair_applied_whose_answer_was_lost_is_resolved_not_repeated, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(
                        holds_and_open_divergences_come_first_within_the_budget, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        an_order_no_saga_owns_is_rejected_and_releases_what_it_holds, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(
                        an_order_whose_saga_has_not_recorded_it_yet_is_left_alone, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
