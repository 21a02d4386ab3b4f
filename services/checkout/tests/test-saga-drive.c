/* The saga driver (saga-drive.h) against the memory saga store, a settable
 * clock and participants that answer from a script: the state is on disk
 * before every participant call, a step is given up at its deadline only
 * before the pivot, a stuck saga is flagged once, a lost lease drops the job,
 * a claimed saga's step in flight counts as maybe applied, and an operator's
 * action taken while a step is in flight wins over the step's late answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-store-memory.h"
#include "core/log.h"
#include "saga-drive.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct core_env_fake fake; /* the clock, ids and jitter */
static int stuck_reports;
static struct checkout_memory_store mem;
static struct checkout_app app;
static struct saga_job job;
static enum saga_outcome script[64]; /* the answers, in call order; OK past the end */
static size_t n_script, calls;
static void (*during_call)(void); /* runs inside the next participant call, once */
static int operator_actions;
static int unstored_calls; /* calls whose step the store did not hold as running */

/* Every participant call: what the store held for the step, then the script. */
static void answer(struct checkout_reply *ret)
{
        struct checkout_saga s;
        assert_int_equal(app.store.ops->find(app.store.self, job.saga.id, &s), 0);
        enum saga_step_status st = s.state.steps[job.saga.state.current];
        if (st != SAGA_STEP_RUNNING && st != SAGA_STEP_COMPENSATING)
                unstored_calls++;
        enum saga_outcome o = calls < n_script ? script[calls] : SAGA_OUTCOME_OK;
        calls++;
        void (*hook)(void) = during_call;
        during_call = NULL;
        if (hook)
                hook();
        *ret = (struct checkout_reply){.outcome = o};
        if (o != SAGA_OUTCOME_OK)
                snprintf(ret->error, sizeof(ret->error), "UNAVAILABLE: scripted");
}

static void p_create(void *self, const struct checkout_call *call, const struct checkout_saga *s,
                     char order_id[64], struct checkout_money *total, struct checkout_reply *ret)
{
        answer(ret);
        snprintf(order_id, 64, "order-1");
        *total = (struct checkout_money){.currency = "EUR", .units = 10};
}

static void p_status(void *self, const struct checkout_call *call, const char *order_id,
                     enum checkout_order_status status, const char *reason,
                     struct checkout_reply *ret)
{
        answer(ret);
}

static void p_authorize(void *self, const struct checkout_call *call, const char *order_id,
                        const char *customer_id, const struct checkout_money *amount,
                        const char *token, struct checkout_reply *ret)
{
        answer(ret);
}

static void p_payment(void *self, const struct checkout_call *call, enum checkout_payment_op op,
                      const char *order_id, struct checkout_reply *ret)
{
        answer(ret);
}

static void p_reserve(void *self, const struct checkout_call *call, const char *order_id,
                      const struct checkout_item *items, size_t n, struct checkout_reply *ret)
{
        answer(ret);
}

static void p_stock(void *self, const struct checkout_call *call, enum checkout_stock_op op,
                    const char *order_id, struct checkout_reply *ret)
{
        answer(ret);
}

static const struct checkout_participants_ops scripted = {
        .create_order = p_create,
        .set_order_status = p_status,
        .authorize = p_authorize,
        .payment = p_payment,
        .reserve = p_reserve,
        .stock = p_stock,
};

static void step_done(void *self, const char *step, enum saga_outcome outcome, double seconds)
{
}

static void saga_ended(void *self, enum checkout_kind kind, enum saga_status status)
{
}

static void saga_stuck(void *self, enum checkout_kind kind, const char *step)
{
        stuck_reports++;
}

static void operator_action(void *self, enum saga_op op)
{
        operator_actions++;
}

static void census(void *self, const struct checkout_census *c)
{
}

static const struct checkout_observer_ops observer = {.step_done = step_done,
                                                      .saga_ended = saga_ended,
                                                      .saga_stuck = saga_stuck,
                                                      .operator_action = operator_action,
                                                      .census = census};

static int setup(void **state)
{
        fake = (struct core_env_fake){.now_ms = 1000000, .rng = 7};
        stuck_reports = 0, n_script = 0, calls = 0, unstored_calls = 0, operator_actions = 0;
        during_call = NULL;
        struct core_env env = core_env_fake(&fake);
        checkout_memory_store_init(&mem, env);
        app = (struct checkout_app){
                .store = checkout_store_memory(&mem),
                .peers = {.ops = &scripted},
                .env = env,
                .observer = {.ops = &observer},
                .cfg = {.policy = {.base_delay_ms = 100, .max_delay_ms = 400},
                        .step_deadline_ms = 5000,
                        .stuck_after_ms = 20000,
                        .lease_ms = 3000,
                        .owner = "me"},
        };
        memset(&job, 0, sizeof(job));
        job.saga.kind = CHECKOUT_KIND_CHECKOUT;
        snprintf(job.saga.customer_id, sizeof(job.saga.customer_id), "cust-1");
        snprintf(job.saga.idempotency_key, sizeof(job.saga.idempotency_key), "k1");
        job.saga.n_items = 1;
        snprintf(job.saga.items[0].book_id, sizeof(job.saga.items[0].book_id), "b1");
        job.saga.items[0].quantity = 1;
        return checkout_saga_insert(&app, &job.saga);
}

static int teardown(void **state)
{
        checkout_memory_store_free(&mem);
        return 0;
}

/* Drives until the saga waits or is done; each wait passes on the clock. */
static enum saga_drive_result drive_until_quiet(int max_rounds)
{
        enum saga_drive_result d = SAGA_DRIVE_AGAIN;
        int64_t wait = 0;
        for (int i = 0; i < max_rounds && d != SAGA_DRIVE_DONE; i++) {
                d = saga_drive(&app, &job, &wait);
                if (d == SAGA_DRIVE_WAIT)
                        fake.now_ms += wait;
        }
        return d;
}

static enum saga_status stored_status(void)
{
        struct checkout_saga s;
        assert_int_equal(app.store.ops->find(app.store.self, job.saga.id, &s), 0);
        return s.state.status;
}

static void every_call_finds_its_step_stored_as_running(void **state)
{
        assert_int_equal(drive_until_quiet(100), SAGA_DRIVE_DONE);
        assert_int_equal(calls, 7); /* one call per step, two for confirm */
        assert_int_equal(unstored_calls, 0);
        assert_int_equal(stored_status(), SAGA_COMPLETED);
}

static void a_step_before_the_pivot_is_given_up_at_its_deadline(void **state)
{
        for (n_script = 0; n_script < 64; n_script++) /* make_payment never answers */
                script[n_script] = n_script == 0 ? SAGA_OUTCOME_OK : SAGA_OUTCOME_MAYBE_APPLIED;
        int64_t t0 = fake.now_ms;
        enum saga_drive_result d = SAGA_DRIVE_AGAIN;
        int64_t wait = 0;
        while (job.saga.state.status == SAGA_RUNNING && d != SAGA_DRIVE_DONE) {
                d = saga_drive(&app, &job, &wait);
                if (d == SAGA_DRIVE_WAIT)
                        fake.now_ms += wait;
        }
        assert_int_equal(job.saga.state.status, SAGA_COMPENSATING);
        assert_true(fake.now_ms - t0 >
                    app.cfg.step_deadline_ms); /* not a fixed count of attempts */
        assert_true(calls - 1 > 5);            /* authorizations tried until then */
        assert_non_null(strstr(job.saga.state.failure_reason, "no success within 5000 ms"));
}

static void past_the_pivot_nothing_is_given_up_and_stuck_is_flagged_once(void **state)
{
        /* place, pay, mark, reserve, capture succeed; confirm keeps failing */
        n_script = 64;
        for (size_t i = 0; i < n_script; i++)
                script[i] = i < 5 ? SAGA_OUTCOME_OK : SAGA_OUTCOME_UNREACHED;
        int64_t wait = 0;
        for (int i = 0; i < 400 && calls < n_script; i++)
                if (saga_drive(&app, &job, &wait) == SAGA_DRIVE_WAIT)
                        fake.now_ms += wait;
        assert_int_equal(job.saga.state.status, SAGA_RUNNING);
        assert_int_equal(job.saga.state.current, 5); /* confirm, past the pivot */
        assert_true(job.saga.state.stuck);
        assert_int_equal(stuck_reports, 1);
        struct checkout_saga s;
        assert_int_equal(app.store.ops->find(app.store.self, job.saga.id, &s), 0);
        assert_true(s.state.stuck); /* on disk, for GetSaga */
        n_script = calls;           /* it answers from fake.now_ms on */
        assert_int_equal(drive_until_quiet(100), SAGA_DRIVE_DONE);
        assert_int_equal(stored_status(), SAGA_COMPLETED);
        assert_int_equal(app.store.ops->find(app.store.self, job.saga.id, &s), 0);
        assert_false(s.state.stuck);
}

static void a_lost_lease_drops_the_job_and_the_new_owner_resumes(void **state)
{
        int64_t wait;
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN); /* place_order */
        fake.now_ms += app.cfg.lease_ms + 1; /* we stalled; another coordinator takes over */
        struct saga_job theirs = {0};
        snprintf(app.cfg.owner, sizeof(app.cfg.owner), "them");
        assert_int_equal(saga_drive_claim(&app, job.saga.id, &theirs), 0);
        snprintf(app.cfg.owner, sizeof(app.cfg.owner), "me");
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_DONE); /* save: -ESTALE */
        /* the new owner reruns place_order: it was in flight when we stalled */
        assert_int_equal(theirs.saga.state.steps[0], SAGA_STEP_RUNNING);
        assert_true(theirs.saga.state.maybe_applied[0]);
        snprintf(app.cfg.owner, sizeof(app.cfg.owner), "them");
        job = theirs;
        assert_int_equal(drive_until_quiet(100), SAGA_DRIVE_DONE);
        assert_int_equal(stored_status(), SAGA_COMPLETED);
}

/* A replica whose clock runs 10 minutes slow started make_payment and
 * stalled; this one takes over: the step gets its deadline on this clock,
 * not an age of 10 minutes made of the two clocks' difference. */
static void a_takeover_counts_the_step_deadline_on_its_own_clock(void **state)
{
        n_script = 64;
        for (size_t i = 0; i < n_script; i++) /* make_payment never answers */
                script[i] = i == 0 ? SAGA_OUTCOME_OK : SAGA_OUTCOME_MAYBE_APPLIED;
        int64_t wait;
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN); /* place_order */
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN); /* make_payment */
        assert_int_equal(job.saga.state.attempts[1], 1);
        job.saga.log[1].started_ms = fake.now_ms - 600000; /* the slow replica's clock */
        job.dirty = true;
        saga_drive_stop(&app, &job);
        fake.now_ms += app.cfg.lease_ms + 1;
        snprintf(app.cfg.owner, sizeof(app.cfg.owner), "them");
        memset(&job, 0, sizeof(job));
        assert_int_equal(saga_drive_claim(&app, "00000000-0000-4000-8000-000000000001", &job), 0);
        int64_t t0 = fake.now_ms;
        size_t calls_before = calls;
        enum saga_drive_result d = SAGA_DRIVE_AGAIN;
        while (job.saga.state.status == SAGA_RUNNING && d != SAGA_DRIVE_DONE) {
                d = saga_drive(&app, &job, &wait);
                if (d == SAGA_DRIVE_WAIT)
                        fake.now_ms += wait;
        }
        assert_int_equal(job.saga.state.status, SAGA_COMPENSATING);
        assert_true(fake.now_ms - t0 > app.cfg.step_deadline_ms); /* a deadline of its own */
        assert_true(calls - calls_before > 3);                    /* retried meanwhile */
}

static void a_lease_shorter_than_a_call_after_a_backoff_is_refused(void **state)
{
        char err[512] = "";
        struct checkout_config cfg = app.cfg;
        cfg.lease_ms = 1000;
        assert_int_equal(checkout_config_check(&cfg, 5000, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "BOOKSTORE_CHECKOUT_LEASE_MS (1000) must be longer than"));
        cfg.lease_ms = 2 * 5000 + cfg.policy.max_delay_ms * 3 / 2; /* two calls, jitter +50% */
        assert_int_equal(checkout_config_check(&cfg, 5000, err, sizeof(err)), -EINVAL);
        cfg.lease_ms++;
        assert_int_equal(checkout_config_check(&cfg, 5000, err, sizeof(err)), 0);
}

/* The store's answer to the saga's last write is lost (the connection
 * dropped after COMMIT: MariaDB's -EINPROGRESS), after it committed it or
 * before; and the read that would tell fails first, now and then. */
static int lost_answers;  /* how many more final writes to answer so */
static bool apply_lost;   /* ... having written them (else: not) */
static int failing_finds; /* finds that fail (the store is unreachable) */
static int lossy_save(void *self, const struct checkout_saga *s, const char *owner,
                      int64_t lease_ms, const struct checkout_attempt *attempts, size_t n_attempts)
{
        if (lost_answers > 0 && saga_is_final(s->state.status)) {
                lost_answers--;
                if (apply_lost)
                        checkout_store_memory(&mem).ops->save(self, s, owner, lease_ms, attempts,
                                                              n_attempts);
                return -EINPROGRESS;
        }
        return checkout_store_memory(&mem).ops->save(self, s, owner, lease_ms, attempts,
                                                     n_attempts);
}

static int flaky_find(void *self, const char *id, struct checkout_saga *ret)
{
        if (failing_finds > 0 && lost_answers == 0) {
                failing_finds--;
                return -ECONNRESET;
        }
        return checkout_store_memory(&mem).ops->find(self, id, ret);
}

static void drive_with_a_lost_final_answer(bool applied, int finds_failing)
{
        static struct checkout_store_ops lossy;
        lossy = *checkout_store_memory(&mem).ops;
        lossy.save = lossy_save;
        lossy.find = flaky_find;
        app.store.ops = &lossy;
        lost_answers = 1;
        apply_lost = applied;
        failing_finds = finds_failing;
        assert_int_equal(drive_until_quiet(100), SAGA_DRIVE_DONE);
        assert_int_equal(lost_answers, 0); /* it happened */
        assert_int_equal(failing_finds, 0);
        assert_int_equal(stored_status(), SAGA_COMPLETED);
        struct checkout_attempt journal[16];
        size_t n = 0;
        int64_t total = 0;
        assert_int_equal(
                app.store.ops->journal(app.store.self, job.saga.id, journal, 16, &n, &total), 0);
        /* one attempt per step (confirm's two calls are one), none written twice or lost */
        assert_int_equal(total, (int64_t)checkout_saga.n_steps);
}

static void a_final_write_whose_commit_answer_was_lost_counts_once(void **state)
{
        drive_with_a_lost_final_answer(true, 0);
}

static void a_final_write_lost_before_its_commit_is_written_again(void **state)
{
        drive_with_a_lost_final_answer(false, 0);
}

static void an_unanswered_write_waits_until_the_store_can_tell(void **state)
{
        drive_with_a_lost_final_answer(true, 2);
}

/* Every claim (a restart, an operator's action) starts the coordinator's
 * count afresh, but the step's time so far is kept: a coordinator claimed
 * again every second still gives make_payment up near its deadline. */
static void a_step_changing_hands_again_and_again_still_reaches_its_deadline(void **state)
{
        n_script = 64;
        for (size_t i = 0; i < n_script; i++) /* make_payment never answers */
                script[i] = i == 0 ? SAGA_OUTCOME_OK : SAGA_OUTCOME_MAYBE_APPLIED;
        int64_t t0 = fake.now_ms, wait = 0, next_claim = t0 + 1000;
        enum saga_drive_result d = SAGA_DRIVE_AGAIN;
        while (job.saga.state.status == SAGA_RUNNING && d != SAGA_DRIVE_DONE &&
               fake.now_ms - t0 < 10 * app.cfg.step_deadline_ms) {
                d = saga_drive(&app, &job, &wait);
                if (d == SAGA_DRIVE_WAIT)
                        fake.now_ms += wait;
                if (fake.now_ms >= next_claim) { /* a restart: the job comes back from the store */
                        saga_drive_stop(&app, &job);
                        char id[37];
                        snprintf(id, sizeof(id), "%s", job.saga.id);
                        memset(&job, 0, sizeof(job));
                        assert_int_equal(saga_drive_claim(&app, id, &job), 0);
                        next_claim = fake.now_ms + 1000;
                }
        }
        assert_int_equal(job.saga.state.status, SAGA_COMPENSATING);
        assert_true(fake.now_ms - t0 < 3 * app.cfg.step_deadline_ms);
}

static const struct checkout_caller admin = {.subject = "admin-1", .role = ROLE_ADMIN};

static int act(enum saga_op op, enum saga_status outcome)
{
        struct checkout_saga s;
        struct checkout_action a;
        struct saga_op_request req = {.op = op, .outcome = outcome, .reason = "drill"};
        return checkout_operate(&app, &admin, job.saga.id, &req, &s, &a);
}

static void force_compensate_now(void)
{
        assert_int_equal(act(SAGA_OP_FORCE_COMPENSATE, 0), CE_OK);
}

static void a_compensation_forced_while_a_step_is_in_flight_wins_over_its_answer(void **state)
{
        int64_t wait;
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN); /* place_order */
        during_call = force_compensate_now; /* while make_payment is at the participant */
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN);
        /* its OK is not what the saga goes on from: the write is refused, the
         * saga claimed again, and the authorization (maybe applied) voided */
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN);
        assert_int_equal(job.saga.state.status, SAGA_COMPENSATING);
        assert_true(job.saga.state.maybe_applied[1]);
        assert_int_equal(drive_until_quiet(100), SAGA_DRIVE_DONE);
        assert_int_equal(stored_status(), SAGA_COMPENSATED);
        struct checkout_saga s;
        assert_int_equal(app.store.ops->find(app.store.self, job.saga.id, &s), 0);
        assert_int_equal(s.state.steps[1], SAGA_STEP_COMPENSATED); /* void_payment ran */
        assert_int_equal(s.state.steps[0], SAGA_STEP_COMPENSATED); /* reject_order ran */
        assert_non_null(strstr(s.state.failure_reason, "compensated by an operator: drill"));
        /* every call is in the journal, the one whose answer was dropped too */
        struct checkout_attempt j[16];
        size_t n = 0;
        int64_t total = 0;
        assert_int_equal(app.store.ops->journal(app.store.self, s.id, j, 16, &n, &total), 0);
        assert_int_equal(total, (int64_t)calls);
        assert_string_equal(j[1].step, "make_payment");
        assert_string_equal(j[1].code, "OK");
        assert_string_equal(j[2].step, "void_payment");
        assert_true(j[2].compensation);
        assert_int_equal(operator_actions, 1);
        assert_int_equal(mem.n_operated[SAGA_OP_FORCE_COMPENSATE], 1);
}

static void retry_now_skips_the_backoff_of_a_waiting_saga(void **state)
{
        app.cfg.policy = (struct saga_retry_policy){.base_delay_ms = 60000, .max_delay_ms = 60000};
        app.cfg.step_deadline_ms = 600000;
        n_script = 2;
        script[0] = SAGA_OUTCOME_OK, script[1] = SAGA_OUTCOME_MAYBE_APPLIED;
        int64_t wait = 0;
        while (saga_drive(&app, &job, &wait) == SAGA_DRIVE_AGAIN)
                ;
        assert_true(wait >= 60000); /* make_payment waits a minute */
        assert_int_equal(calls, 2);
        assert_int_equal(act(SAGA_OP_RETRY_NOW, 0), CE_OK);
        job.reload = true; /* what the runner does when woken */
        assert_int_equal(saga_drive(&app, &job, &wait), SAGA_DRIVE_AGAIN);
        assert_int_equal(calls, 3); /* at once, no time passed */
        assert_int_equal(drive_until_quiet(100), SAGA_DRIVE_DONE);
        assert_int_equal(stored_status(), SAGA_COMPLETED);
        struct checkout_action a[4];
        size_t n = 0;
        assert_int_equal(app.store.ops->actions(app.store.self, job.saga.id, a, 4, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(a[0].op, SAGA_OP_RETRY_NOW);
        assert_string_equal(a[0].actor, "admin-1");
        assert_string_equal(a[0].step, "make_payment");
}

static void a_stuck_saga_marked_resolved_is_driven_no_more(void **state)
{
        app.cfg.stuck_after_ms = 1000;
        n_script = 64; /* make_payment never gets through */
        for (size_t i = 0; i < n_script; i++)
                script[i] = i == 0 ? SAGA_OUTCOME_OK : SAGA_OUTCOME_UNREACHED;
        int64_t wait = 0;
        assert_int_equal(act(SAGA_OP_RESUME, 0), CE_OP_NOT_STUCK); /* moving: refused */
        for (int i = 0; i < 20 && !job.saga.state.stuck; i++)
                if (saga_drive(&app, &job, &wait) == SAGA_DRIVE_WAIT)
                        fake.now_ms += wait;
        assert_true(job.saga.state.stuck);
        saga_drive(&app, &job, &wait); /* the flag goes to the store with the next write */
        assert_int_equal(act(SAGA_OP_MARK_RESOLVED, SAGA_COMPLETED), CE_OP_RESOLVE_BEFORE_PIVOT);
        assert_int_equal(act(SAGA_OP_MARK_RESOLVED, SAGA_COMPENSATED), CE_OK);
        size_t before = calls;
        assert_int_equal(drive_until_quiet(10), SAGA_DRIVE_DONE);
        assert_true(calls <= before + 1); /* at most the attempt already under way */
        assert_int_equal(stored_status(), SAGA_COMPENSATED);
        assert_int_equal(act(SAGA_OP_RETRY_NOW, 0), CE_OP_SAGA_ENDED);
        struct checkout_caller customer = {.subject = "cust-1", .role = ROLE_CUSTOMER};
        struct saga_op_request req = {.op = SAGA_OP_RETRY_NOW, .reason = "mine"};
        struct checkout_saga s;
        struct checkout_action a;
        assert_int_equal(checkout_operate(&app, &customer, job.saga.id, &req, &s, &a),
                         CE_NOT_ALLOWED);
        req.reason = "";
        assert_int_equal(checkout_operate(&app, &admin, job.saga.id, &req, &s, &a),
                         CE_OP_REASON_INVALID);
        req.reason = "two\nlines";
        assert_int_equal(checkout_operate(&app, &admin, job.saga.id, &req, &s, &a),
                         CE_OP_REASON_INVALID);
        req.reason = "fine";
        assert_int_equal(checkout_operate(&app, &admin, "no-such-saga", &req, &s, &a),
                         CE_SAGA_NOT_FOUND);
}

int main(void)
{
        log_set_min_level(LOG_ERROR);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(every_call_finds_its_step_stored_as_running, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(a_step_before_the_pivot_is_given_up_at_its_deadline,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        past_the_pivot_nothing_is_given_up_and_stuck_is_flagged_once, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(
                        a_lost_lease_drops_the_job_and_the_new_owner_resumes, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_takeover_counts_the_step_deadline_on_its_own_clock, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_lease_shorter_than_a_call_after_a_backoff_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_final_write_whose_commit_answer_was_lost_counts_once, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_final_write_lost_before_its_commit_is_written_again, setup, teardown),
                cmocka_unit_test_setup_teardown(an_unanswered_write_waits_until_the_store_can_tell,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_step_changing_hands_again_and_again_still_reaches_its_deadline, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(
                        a_compensation_forced_while_a_step_is_in_flight_wins_over_its_answer, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(retry_now_skips_the_backoff_of_a_waiting_saga,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(a_stuck_saga_marked_resolved_is_driven_no_more,
                                                setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
