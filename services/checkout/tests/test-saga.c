/* The checkout saga engine without a network: given each step's reply,
 * expect the next command (after the style of the FTGO application's saga
 * tests in "Microservices Patterns"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-errors.h"
#include "saga-operator.h"
#include "saga.h"

#include <stdint.h>
#include <string.h>

enum { PLACE, PAY, MARK, RESERVE, CAPTURE, CONFIRM };

static const struct saga_retry_policy policy = {.max_attempts = 3,
                                                .max_compensation_attempts = 0,
                                                .base_delay_ms = 100,
                                                .max_delay_ms = 400};

struct saga_state s;

static struct saga_command expect(enum saga_command_kind kind, size_t step, int64_t delay)
{
        struct saga_command c = saga_next(&checkout_saga, &s, &policy, 0.0);
        assert_int_equal(c.kind, kind);
        if (kind != SAGA_CMD_DONE) {
                assert_int_equal(c.step, step);
                assert_int_equal(c.delay_ms, delay);
        }
        return c;
}

static void reply(struct saga_command c, enum saga_outcome o, const char *error)
{
        saga_record(&checkout_saga, &s, &policy, &c, o, error);
}

static void ok_through(size_t last)
{
        for (size_t i = 0; i <= last; i++)
                reply(expect(SAGA_CMD_RUN, i, 0), SAGA_OUTCOME_OK, NULL);
}

static void happy_path_completes(void **state)
{
        saga_start(&checkout_saga, &s);
        assert_string_equal(checkout_saga.steps[PAY].name, "make_payment");
        ok_through(CONFIRM);
        expect(SAGA_CMD_DONE, 0, 0);
        assert_int_equal(s.status, SAGA_COMPLETED);
        for (size_t i = 0; i < checkout_saga.n_steps; i++)
                assert_int_equal(s.steps[i], SAGA_STEP_SUCCEEDED);
}

static void declined_payment_rejects_the_order(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PLACE);
        reply(expect(SAGA_CMD_RUN, PAY, 0), SAGA_OUTCOME_BUSINESS, "declined: card_declined");
        assert_int_equal(s.status, SAGA_COMPENSATING);
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 0), SAGA_OUTCOME_OK, NULL);   /* void: a no-op */
        reply(expect(SAGA_CMD_COMPENSATE, PLACE, 0), SAGA_OUTCOME_OK, NULL); /* reject the order */
        expect(SAGA_CMD_DONE, 0, 0);
        assert_int_equal(s.status, SAGA_COMPENSATED);
        assert_string_equal(s.failure_reason, "make_payment: declined: card_declined");
        assert_int_equal(s.steps[MARK], SAGA_STEP_PENDING); /* never run, never undone */
}

static void out_of_stock_voids_the_payment(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(MARK);
        reply(expect(SAGA_CMD_RUN, RESERVE, 0), SAGA_OUTCOME_BUSINESS, "insufficient stock");
        reply(expect(SAGA_CMD_COMPENSATE, RESERVE, 0), SAGA_OUTCOME_OK, NULL); /* release: no-op */
        /* change_order_status has no compensation of its own */
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 0), SAGA_OUTCOME_OK, NULL);
        reply(expect(SAGA_CMD_COMPENSATE, PLACE, 0), SAGA_OUTCOME_OK, NULL);
        expect(SAGA_CMD_DONE, 0, 0);
        assert_int_equal(s.status, SAGA_COMPENSATED);
}

static void a_failed_capture_is_refunded_then_everything_undone(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(RESERVE);
        reply(expect(SAGA_CMD_RUN, CAPTURE, 0), SAGA_OUTCOME_BUSINESS, "capture refused");
        const size_t order[] = {CAPTURE, RESERVE, PAY, PLACE};
        for (size_t i = 0; i < 4; i++)
                reply(expect(SAGA_CMD_COMPENSATE, order[i], 0), SAGA_OUTCOME_OK, NULL);
        expect(SAGA_CMD_DONE, 0, 0);
}

static void transient_failures_are_retried_with_backoff(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PLACE);
        reply(expect(SAGA_CMD_RUN, PAY, 0), SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE");
        reply(expect(SAGA_CMD_RUN, PAY, 100), SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE");
        reply(expect(SAGA_CMD_RUN, PAY, 200), SAGA_OUTCOME_OK,
              NULL); /* the flaky provider answers */
        assert_int_equal(s.status, SAGA_RUNNING);
        reply(expect(SAGA_CMD_RUN, MARK, 0), SAGA_OUTCOME_OK, NULL);
        /* jitter adds up to half the delay */
        s.attempts[RESERVE] = 2;
        struct saga_command c = saga_next(&checkout_saga, &s, &policy, 0.5);
        assert_int_equal(c.delay_ms, 250);
}

static void retries_running_out_compensate(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PLACE);
        for (int i = 0; i < 3; i++)
                reply(saga_next(&checkout_saga, &s, &policy, 0), SAGA_OUTCOME_MAYBE_APPLIED,
                      "DEADLINE_EXCEEDED");
        assert_int_equal(s.status, SAGA_COMPENSATING);
        assert_string_equal(s.failure_reason, "make_payment: DEADLINE_EXCEEDED");
        /* the payment may have gone through after the deadline: void it */
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 0), SAGA_OUTCOME_OK, NULL);
        reply(expect(SAGA_CMD_COMPENSATE, PLACE, 0), SAGA_OUTCOME_OK, NULL);
        assert_int_equal(s.status, SAGA_COMPENSATED);
}

static void compensations_are_retried_until_they_succeed(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PAY);
        reply(expect(SAGA_CMD_RUN, MARK, 0), SAGA_OUTCOME_BUSINESS, "order gone");
        /* MARK has no compensation: the first is the payment's */
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 0), SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE");
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 100), SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE");
        for (int i = 0; i < 10; i++) /* capped backoff, never gives up */
                reply(saga_next(&checkout_saga, &s, &policy, 0), SAGA_OUTCOME_MAYBE_APPLIED, "x");
        struct saga_command c = expect(SAGA_CMD_COMPENSATE, PAY, 400);
        reply(c, SAGA_OUTCOME_OK, NULL);
        reply(expect(SAGA_CMD_COMPENSATE, PLACE, 0), SAGA_OUTCOME_OK, NULL);
        assert_int_equal(s.status, SAGA_COMPENSATED);
        /* with a limit, a saga whose compensation keeps failing needs an operator */
        const struct saga_retry_policy bounded = {3, 2, 100, 400};
        saga_start(&checkout_saga, &s);
        struct saga_command run = saga_next(&checkout_saga, &s, &bounded, 0);
        saga_record(&checkout_saga, &s, &bounded, &run, SAGA_OUTCOME_BUSINESS, "no");
        for (int i = 0; i < 2; i++) {
                struct saga_command comp = saga_next(&checkout_saga, &s, &bounded, 0);
                saga_record(&checkout_saga, &s, &bounded, &comp, SAGA_OUTCOME_MAYBE_APPLIED,
                            "down");
        }
        assert_int_equal(s.status, SAGA_FAILED);
        assert_string_equal(s.failure_reason, "compensation reject_order keeps failing: down");
}

static void a_resumed_saga_continues_where_it_stood(void **state)
{
        /* the coordinator crashed after persisting "reserve_inventory running" */
        saga_start(&checkout_saga, &s);
        ok_through(MARK);
        struct saga_state persisted = s; /* what the database holds */
        memset(&s, 0xff, sizeof(s));
        s = persisted;
        reply(expect(SAGA_CMD_RUN, RESERVE, 0), SAGA_OUTCOME_OK,
              NULL); /* rerun: idempotent per key */
        reply(expect(SAGA_CMD_RUN, CAPTURE, 0), SAGA_OUTCOME_OK, NULL);
        reply(expect(SAGA_CMD_RUN, CONFIRM, 0), SAGA_OUTCOME_OK, NULL);
        assert_int_equal(s.status, SAGA_COMPLETED);
}

static void a_participant_never_reached_is_not_compensated(void **state)
{
        /* inventory is down for good: no attempt reached it, so there is nothing
         * of its to undo, and the compensation does not wait for it */
        saga_start(&checkout_saga, &s);
        ok_through(MARK);
        for (int i = 0; i < 3; i++)
                reply(saga_next(&checkout_saga, &s, &policy, 0), SAGA_OUTCOME_UNREACHED,
                      "UNAVAILABLE: connection refused");
        assert_int_equal(s.status, SAGA_COMPENSATING);
        assert_int_equal(s.steps[RESERVE], SAGA_STEP_FAILED);
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 0), SAGA_OUTCOME_OK, NULL);
        reply(expect(SAGA_CMD_COMPENSATE, PLACE, 0), SAGA_OUTCOME_OK, NULL);
        assert_int_equal(s.status, SAGA_COMPENSATED);
        assert_int_equal(s.steps[RESERVE], SAGA_STEP_FAILED);
        assert_int_equal(s.attempts[RESERVE], 3); /* its attempts stay on record */
        assert_int_equal(s.attempts[MARK], 1);
        /* one uncertain attempt among them is enough to undo the step */
        saga_start(&checkout_saga, &s);
        ok_through(MARK);
        reply(saga_next(&checkout_saga, &s, &policy, 0), SAGA_OUTCOME_MAYBE_APPLIED,
              "DEADLINE_EXCEEDED");
        reply(saga_next(&checkout_saga, &s, &policy, 0), SAGA_OUTCOME_UNREACHED, "UNAVAILABLE");
        reply(saga_next(&checkout_saga, &s, &policy, 0), SAGA_OUTCOME_UNREACHED, "UNAVAILABLE");
        reply(expect(SAGA_CMD_COMPENSATE, RESERVE, 0), SAGA_OUTCOME_OK, NULL);
}

static void a_step_past_its_deadline_is_given_up(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PLACE);
        reply(expect(SAGA_CMD_RUN, PAY, 0), SAGA_OUTCOME_MAYBE_APPLIED, "DEADLINE_EXCEEDED");
        saga_give_up(&checkout_saga, &s, "no answer within 10000 ms");
        assert_int_equal(s.status, SAGA_COMPENSATING);
        assert_string_equal(s.failure_reason, "make_payment: no answer within 10000 ms");
        reply(expect(SAGA_CMD_COMPENSATE, PAY, 0), SAGA_OUTCOME_OK, NULL);
        reply(expect(SAGA_CMD_COMPENSATE, PLACE, 0), SAGA_OUTCOME_OK, NULL);
        assert_int_equal(s.status, SAGA_COMPENSATED);
        saga_give_up(&checkout_saga, &s, "late"); /* a final saga stays as it is */
        assert_int_equal(s.status, SAGA_COMPENSATED);
}

static void the_cancellation_saga_runs_forward_only(void **state)
{
        saga_start(&cancellation_saga, &s);
        assert_int_equal(cancellation_saga.n_steps, 4);
        assert_string_equal(cancellation_saga.steps[1].name, "refund_payment");
        struct saga_command c = saga_next(&cancellation_saga, &s, &policy, 0);
        saga_record(&cancellation_saga, &s, &policy, &c, SAGA_OUTCOME_OK, NULL);
        c = saga_next(&cancellation_saga, &s, &policy, 0);
        assert_int_equal(c.step, 1);
        saga_record(&cancellation_saga, &s, &policy, &c, SAGA_OUTCOME_BUSINESS, "refund refused");
        /* nothing to undo: the saga ends for an operator to look at, with the reason */
        assert_int_equal(s.status, SAGA_FAILED);
        assert_string_equal(s.failure_reason, "refund_payment: refund refused");
        assert_int_equal(saga_next(&cancellation_saga, &s, &policy, 0).kind, SAGA_CMD_DONE);
}

static void after_the_pivot_the_saga_only_moves_forward(void **state)
{
        /* capture succeeded; confirm then meets an inventory that is down, a
         * refusal and a deadline: each is retried, none undoes anything */
        saga_start(&checkout_saga, &s);
        ok_through(CAPTURE);
        assert_true(saga_past_pivot(&checkout_saga, &s));
        const enum saga_outcome faults[] = {SAGA_OUTCOME_UNREACHED, SAGA_OUTCOME_BUSINESS,
                                            SAGA_OUTCOME_MAYBE_APPLIED, SAGA_OUTCOME_UNREACHED};
        for (int round = 0; round < 5; round++) /* well past max_attempts (3) */
                for (size_t i = 0; i < 4; i++) {
                        struct saga_command c = saga_next(&checkout_saga, &s, &policy, 0);
                        assert_int_equal(c.kind, SAGA_CMD_RUN);
                        assert_int_equal(c.step, CONFIRM);
                        reply(c, faults[i], "UNAVAILABLE: inventory down");
                }
        assert_int_equal(s.status, SAGA_RUNNING);
        assert_int_equal(saga_next(&checkout_saga, &s, &policy, 0).delay_ms, 400); /* capped */
        saga_give_up(&checkout_saga, &s, "no success within 15000 ms"); /* no effect now */
        assert_int_equal(s.status, SAGA_RUNNING);
        s.stuck = true; /* the coordinator flagged it; progress clears the flag */
        reply(expect(SAGA_CMD_RUN, CONFIRM, 400), SAGA_OUTCOME_OK, NULL);
        assert_int_equal(s.status, SAGA_COMPLETED);
        assert_false(s.stuck);
        for (size_t i = 0; i < checkout_saga.n_steps; i++)
                assert_int_equal(s.steps[i], SAGA_STEP_SUCCEEDED); /* nothing compensated */
        /* before the pivot succeeded, the same saga still compensates */
        saga_start(&checkout_saga, &s);
        ok_through(RESERVE);
        assert_false(saga_past_pivot(&checkout_saga, &s));
}

static void without_an_attempt_limit_retries_run_until_the_deadline(void **state)
{
        const struct saga_retry_policy until_deadline = {.base_delay_ms = 100, .max_delay_ms = 400};
        saga_start(&checkout_saga, &s);
        for (int i = 0; i < 50; i++) { /* a participant restarting: no fixed count gives up */
                struct saga_command c = saga_next(&checkout_saga, &s, &until_deadline, 0);
                assert_int_equal(c.kind, SAGA_CMD_RUN);
                saga_record(&checkout_saga, &s, &until_deadline, &c, SAGA_OUTCOME_MAYBE_APPLIED,
                            "UNAVAILABLE: connection reset");
        }
        assert_int_equal(s.status, SAGA_RUNNING);
        saga_give_up(&checkout_saga, &s, "no success within 15000 ms");
        assert_int_equal(s.status, SAGA_COMPENSATING);
        /* the order may exist: reject it (an unknown one leaves a tombstone) */
        struct saga_command c = saga_next(&checkout_saga, &s, &until_deadline, 0);
        assert_int_equal(c.kind, SAGA_CMD_COMPENSATE);
        assert_int_equal(c.step, PLACE);
}

/* Every status change either saga can make, found by random walks (seeded,
 * so the same every run) over every outcome and give-up, checked against a
 * matrix written here: a final status never changes, a saga past its pivot
 * never compensates, and every allowed change is actually reached. */
enum { WALKS = 20000, WALK_COMMANDS = 400 };

static uint64_t walk_rng = 88172645463325252ull;

static unsigned walk_roll(unsigned n)
{
        walk_rng ^= walk_rng << 13;
        walk_rng ^= walk_rng >> 7;
        walk_rng ^= walk_rng << 17;
        return (unsigned)(walk_rng % n);
}

#define MOVE(from, to) (1u << ((from)*8 + (to)))

static unsigned walk(const struct saga_def *def, const struct saga_retry_policy *p)
{
        unsigned seen = 0;
        struct saga_state w;
        saga_start(def, &w);
        for (int n = 0; n < WALK_COMMANDS; n++) {
                struct saga_command c = saga_next(def, &w, p, 0.0);
                if (c.kind == SAGA_CMD_DONE) {
                        assert_true(saga_is_final(w.status));
                        return seen;
                }
                enum saga_status before = w.status;
                bool past_pivot = saga_past_pivot(def, &w);
                if (walk_roll(10) == 0)
                        saga_give_up(def, &w, "deadline");
                else
                        saga_record(def, &w, p, &c, (enum saga_outcome)walk_roll(4), "no");
                if (w.status != before)
                        seen |= MOVE(before, w.status);
                if (past_pivot)
                        assert_int_not_equal(w.status, SAGA_COMPENSATING);
        }
        fail_msg("a walk did not end in %d commands", WALK_COMMANDS);
        return seen;
}

static void every_status_change_is_allowed_and_reached(void **state)
{
        const struct saga_retry_policy finite = {.max_attempts = 2, .max_compensation_attempts = 3};
        const unsigned checkout_moves =
                MOVE(SAGA_RUNNING, SAGA_COMPLETED) | MOVE(SAGA_RUNNING, SAGA_COMPENSATING) |
                MOVE(SAGA_RUNNING, SAGA_COMPENSATED) | /* the first step refused: nothing to undo */
                MOVE(SAGA_COMPENSATING, SAGA_COMPENSATED) | MOVE(SAGA_COMPENSATING, SAGA_FAILED);
        const unsigned cancellation_moves =
                MOVE(SAGA_RUNNING, SAGA_COMPLETED) | MOVE(SAGA_RUNNING, SAGA_FAILED);
        unsigned checkout_seen = 0, cancellation_seen = 0;
        for (int i = 0; i < WALKS; i++) {
                checkout_seen |= walk(&checkout_saga, &finite);
                cancellation_seen |= walk(&cancellation_saga, &finite);
        }
        assert_int_equal(checkout_seen, checkout_moves);
        assert_int_equal(cancellation_seen, cancellation_moves);
        /* a final saga stays final, whatever comes */
        struct saga_state w;
        saga_start(&checkout_saga, &w);
        for (int st = SAGA_COMPLETED; st <= SAGA_FAILED; st++) {
                w.status = (enum saga_status)st;
                saga_give_up(&checkout_saga, &w, "late");
                assert_int_equal(w.status, st);
                assert_int_equal(saga_next(&checkout_saga, &w, &finite, 0.0).kind, SAGA_CMD_DONE);
        }
}

/* ---- operator actions (saga-operator.h) ---------------------------------- */

static int operate(enum saga_op op, enum saga_status outcome, long *restart)
{
        struct saga_op_request req = {.op = op, .outcome = outcome, .reason = "ops"};
        long ignored;
        return saga_operate(&checkout_saga, &s, &req, restart ? restart : &ignored);
}

static void a_refused_action_leaves_the_state_as_it_was(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PAY);
        struct saga_state before = s;
        assert_int_equal(operate(SAGA_OP_RESUME, 0, NULL), CE_OP_NOT_STUCK);
        assert_int_equal(operate(SAGA_OP_MARK_RESOLVED, SAGA_COMPENSATED, NULL), CE_OP_NOT_STUCK);
        assert_int_equal(operate(SAGA_OP_MARK_RESOLVED, SAGA_FAILED, NULL), CE_OP_OUTCOME_INVALID);
        assert_memory_equal(&before, &s, sizeof(s));
}

static void retry_now_runs_the_waiting_step_without_its_backoff(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(PLACE);
        reply(expect(SAGA_CMD_RUN, PAY, 0), SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE: x");
        expect(SAGA_CMD_RUN, PAY, 100);
        assert_int_equal(operate(SAGA_OP_RETRY_NOW, 0, NULL), CE_OK);
        struct saga_command c = expect(SAGA_CMD_RUN, PAY, 0);
        reply(c, SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE: x");
        expect(SAGA_CMD_RUN, PAY, 200); /* once: the next wait is the policy's again */
}

static void force_compensate_undoes_the_step_in_flight_before_the_pivot_only(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(MARK);
        s.steps[RESERVE] = SAGA_STEP_RUNNING; /* stored before its call: in flight */
        s.current = RESERVE;
        s.in_flight = true;
        struct saga_state waiting = s;
        waiting.in_flight = false; /* between attempts, all of them unreached */
        assert_int_equal(operate(SAGA_OP_FORCE_COMPENSATE, 0, NULL), CE_OK);
        assert_int_equal(s.status, SAGA_COMPENSATING);
        assert_non_null(strstr(s.failure_reason, "compensated by an operator: ops"));
        /* the reservation may exist: released (the undo is fenced if it does not) */
        expect(SAGA_CMD_COMPENSATE, RESERVE, 0);
        assert_int_equal(operate(SAGA_OP_FORCE_COMPENSATE, 0, NULL), CE_OP_COMPENSATING);
        /* with no call out, nothing reached inventory: nothing to release there */
        s = waiting;
        assert_int_equal(operate(SAGA_OP_FORCE_COMPENSATE, 0, NULL), CE_OK);
        expect(SAGA_CMD_COMPENSATE, PAY, 0);
        /* past the pivot: refused */
        saga_start(&checkout_saga, &s);
        ok_through(CAPTURE);
        assert_int_equal(operate(SAGA_OP_FORCE_COMPENSATE, 0, NULL), CE_OP_PAST_PIVOT);
        /* a cancellation cannot be compensated at all */
        saga_start(&cancellation_saga, &s);
        struct saga_op_request req = {.op = SAGA_OP_FORCE_COMPENSATE, .reason = "ops"};
        long restart;
        assert_int_equal(saga_operate(&cancellation_saga, &s, &req, &restart), CE_OP_FORWARD_ONLY);
}

static void resume_restarts_a_failed_compensation_with_a_fresh_budget(void **state)
{
        const struct saga_retry_policy limited = {.max_attempts = 1,
                                                  .max_compensation_attempts = 2,
                                                  .base_delay_ms = 100,
                                                  .max_delay_ms = 400};
        saga_start(&checkout_saga, &s);
        ok_through(PLACE);
        struct saga_command c = saga_next(&checkout_saga, &s, &limited, 0);
        saga_record(&checkout_saga, &s, &limited, &c, SAGA_OUTCOME_BUSINESS, "declined");
        for (int i = 0; i < 2; i++) { /* void_payment fails twice: FAILED */
                c = saga_next(&checkout_saga, &s, &limited, 0);
                assert_int_equal(c.kind, SAGA_CMD_COMPENSATE);
                saga_record(&checkout_saga, &s, &limited, &c, SAGA_OUTCOME_MAYBE_APPLIED, "down");
        }
        assert_int_equal(s.status, SAGA_FAILED);
        assert_int_equal(operate(SAGA_OP_RETRY_NOW, 0, NULL), CE_OP_SAGA_ENDED);
        assert_int_equal(operate(SAGA_OP_FORCE_COMPENSATE, 0, NULL), CE_OP_SAGA_ENDED);
        long restart = -1;
        assert_int_equal(operate(SAGA_OP_RESUME, 0, &restart), CE_OK);
        assert_int_equal(restart, PAY);
        assert_int_equal(s.status, SAGA_COMPENSATING);
        assert_int_equal(s.attempts[PAY], 0);
        for (size_t step = PAY + 1; step-- > PLACE;) { /* void, then reject */
                c = saga_next(&checkout_saga, &s, &limited, 0);
                assert_int_equal(c.kind, SAGA_CMD_COMPENSATE);
                assert_int_equal(c.step, step);
                assert_int_equal(c.delay_ms, 0);
                saga_record(&checkout_saga, &s, &limited, &c, SAGA_OUTCOME_OK, NULL);
        }
        assert_int_equal(s.status, SAGA_COMPENSATED);
}

static void resume_runs_a_refused_cancellation_step_again(void **state)
{
        saga_start(&cancellation_saga, &s);
        struct saga_command c = saga_next(&cancellation_saga, &s, &policy, 0);
        saga_record(&cancellation_saga, &s, &policy, &c, SAGA_OUTCOME_OK, NULL);
        c = saga_next(&cancellation_saga, &s, &policy, 0);
        saga_record(&cancellation_saga, &s, &policy, &c, SAGA_OUTCOME_BUSINESS, "not captured");
        assert_int_equal(s.status, SAGA_FAILED);
        struct saga_op_request req = {.op = SAGA_OP_RESUME, .reason = "captured by hand"};
        long restart = -1;
        assert_int_equal(saga_operate(&cancellation_saga, &s, &req, &restart), CE_OK);
        assert_int_equal(s.status, SAGA_RUNNING);
        assert_int_equal(restart, 1);
        assert_string_equal(s.failure_reason, "");
        c = saga_next(&cancellation_saga, &s, &policy, 0);
        assert_int_equal(c.kind, SAGA_CMD_RUN);
        assert_int_equal(c.step, 1);
        assert_int_equal(c.delay_ms, 0);
        /* a FAILED cancellation resolved by hand: only as COMPLETED */
        saga_record(&cancellation_saga, &s, &policy, &c, SAGA_OUTCOME_BUSINESS, "again");
        req = (struct saga_op_request){
                .op = SAGA_OP_MARK_RESOLVED, .outcome = SAGA_COMPENSATED, .reason = "x"};
        assert_int_equal(saga_operate(&cancellation_saga, &s, &req, &restart),
                         CE_OP_RESOLVE_PAST_PIVOT);
        req.outcome = SAGA_COMPLETED;
        assert_int_equal(saga_operate(&cancellation_saga, &s, &req, &restart), CE_OK);
        assert_int_equal(s.status, SAGA_COMPLETED);
}

static void a_stuck_saga_is_resumed_or_resolved_by_its_side_of_the_pivot(void **state)
{
        saga_start(&checkout_saga, &s);
        ok_through(CAPTURE);
        struct saga_command c = expect(SAGA_CMD_RUN, CONFIRM, 0);
        reply(c, SAGA_OUTCOME_UNREACHED, "UNAVAILABLE: down");
        reply(expect(SAGA_CMD_RUN, CONFIRM, 100), SAGA_OUTCOME_UNREACHED, "UNAVAILABLE: down");
        s.stuck = true;
        assert_int_equal(operate(SAGA_OP_MARK_RESOLVED, SAGA_COMPENSATED, NULL),
                         CE_OP_RESOLVE_PAST_PIVOT);
        long restart = -1;
        assert_int_equal(operate(SAGA_OP_RESUME, 0, &restart), CE_OK);
        assert_int_equal(restart, CONFIRM);
        assert_false(s.stuck);
        assert_int_equal(s.attempts[CONFIRM], 0);
        expect(SAGA_CMD_RUN, CONFIRM, 0);
        s.stuck = true;
        assert_int_equal(operate(SAGA_OP_MARK_RESOLVED, SAGA_COMPLETED, NULL), CE_OK);
        assert_int_equal(s.status, SAGA_COMPLETED);
        assert_false(s.stuck);
        assert_string_equal(saga_step_name(&checkout_saga, &s), "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(happy_path_completes),
                cmocka_unit_test(declined_payment_rejects_the_order),
                cmocka_unit_test(out_of_stock_voids_the_payment),
                cmocka_unit_test(a_failed_capture_is_refunded_then_everything_undone),
                cmocka_unit_test(transient_failures_are_retried_with_backoff),
                cmocka_unit_test(retries_running_out_compensate),
                cmocka_unit_test(compensations_are_retried_until_they_succeed),
                cmocka_unit_test(a_resumed_saga_continues_where_it_stood),
                cmocka_unit_test(a_participant_never_reached_is_not_compensated),
                cmocka_unit_test(a_step_past_its_deadline_is_given_up),
                cmocka_unit_test(the_cancellation_saga_runs_forward_only),
                cmocka_unit_test(after_the_pivot_the_saga_only_moves_forward),
                cmocka_unit_test(without_an_attempt_limit_retries_run_until_the_deadline),
                cmocka_unit_test(every_status_change_is_allowed_and_reached),
                cmocka_unit_test(a_refused_action_leaves_the_state_as_it_was),
                cmocka_unit_test(retry_now_runs_the_waiting_step_without_its_backoff),
                cmocka_unit_test(force_compensate_undoes_the_step_in_flight_before_the_pivot_only),
                cmocka_unit_test(resume_restarts_a_failed_compensation_with_a_fresh_budget),
                cmocka_unit_test(resume_runs_a_refused_cancellation_step_again),
                cmocka_unit_test(a_stuck_saga_is_resumed_or_resolved_by_its_side_of_the_pivot),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
