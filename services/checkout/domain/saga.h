/* The saga engine: pure decisions, no I/O. A saga definition is data (a table
 * of steps, each with an action and maybe a compensation); the engine looks
 * at a saga's state and says what to do next, and folds each step's outcome
 * back into the state. The coordinator persists the state before every step
 * and executes the commands; a restarted coordinator resumes from the state.
 *
 * Rules (docs/design-notes.md, "The saga protocol", has the reasoning):
 *  - steps run in order; a failure that may have been applied or did not
 *    reach the participant is retried with exponential backoff and jitter,
 *    capped: up to max_attempts when that is not 0, and always up to the
 *    step's deadline (the runner calls saga_give_up when it has passed);
 *  - before the pivot (the step after which the saga only moves forward:
 *    capturing the payment), a business failure (declined, out of stock,
 *    invalid) or a given-up step starts compensation: from the failed step
 *    (an uncertain attempt may have acted; every participant fences an undo
 *    against a late action, so undoing what never happened leaves a
 *    tombstone and succeeds) back to the first, skipping steps without a
 *    compensation. The failed step itself is skipped only when no attempt of
 *    it can have acted (every attempt UNREACHED: the request never left);
 *  - once the pivot succeeded, every later step is retried whatever the
 *    failure, for as long as it takes, and never compensated;
 *  - a forward-only definition (the cancellation) is all after its pivot,
 *    except that a business "no" ends it FAILED for an operator;
 *  - a compensation is retried until it succeeds (or max_compensation_attempts,
 *    when not 0, after which the saga is FAILED for an operator);
 *  - `stuck` is the coordinator's flag for a saga that made no progress for
 *    too long; any step or compensation that succeeds clears it;
 *  - operators act through saga-operator.h, which keeps these rules. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SAGA_MAX_STEPS = 16 };

/* Same numbers as bookstore.checkout.v1.SagaStatus / StepStatus. */
enum saga_status {
        SAGA_RUNNING = 1,
        SAGA_COMPENSATING = 2,
        SAGA_COMPLETED = 3,
        SAGA_COMPENSATED = 4,
        SAGA_FAILED = 5,
};
enum saga_step_status {
        SAGA_STEP_PENDING = 1,
        SAGA_STEP_RUNNING = 2,
        SAGA_STEP_SUCCEEDED = 3,
        SAGA_STEP_FAILED = 4,
        SAGA_STEP_COMPENSATING = 5,
        SAGA_STEP_COMPENSATED = 6,
};

struct saga_step_def {
        const char *name;         /* e.g. "make_payment"; also part of idempotency keys */
        const char *compensation; /* e.g. "void_payment"; NULL when nothing to undo */
};

struct saga_def {
        const struct saga_step_def *steps;
        size_t n_steps;
        /* Nothing in it can be undone: a step failing for good ends the saga
         * FAILED, for an operator, instead of compensating. */
        bool forward_only;
        /* Once steps[pivot] succeeded the saga only moves forward. */
        bool has_pivot;
        size_t pivot;
};

struct saga_retry_policy {
        int max_attempts;              /* per forward step before the pivot; 0: until the
                                          step's deadline (saga_give_up) */
        int max_compensation_attempts; /* 0: forever */
        int64_t base_delay_ms, max_delay_ms;
};

struct saga_state {
        enum saga_status status;
        size_t current; /* the step being run or compensated */
        enum saga_step_status steps[SAGA_MAX_STEPS];
        int attempts[SAGA_MAX_STEPS];
        bool maybe_applied[SAGA_MAX_STEPS]; /* an attempt may have acted */
        bool stuck;                         /* no progress for too long (set by the coordinator) */
        bool retry_now;                     /* an operator asked: the next attempt waits no
                                               backoff (cleared when it is recorded) */
        bool in_flight; /* a participant call may be out now: set (and stored) before a
                           call, cleared with its answer (set by the coordinator) */
        char failure_reason[256];
};

enum saga_outcome {
        SAGA_OUTCOME_OK,
        SAGA_OUTCOME_MAYBE_APPLIED, /* worth retrying; the participant may have acted
                                       (a deadline, a reset connection, an internal error) */
        SAGA_OUTCOME_UNREACHED,     /* worth retrying; the request never left (no
                                       connection, no service token, call not made) */
        SAGA_OUTCOME_BUSINESS,      /* a definitive "no" */
};

enum saga_command_kind { SAGA_CMD_RUN, SAGA_CMD_COMPENSATE, SAGA_CMD_DONE };

struct saga_command {
        enum saga_command_kind kind;
        size_t step;
        int64_t delay_ms; /* wait this long first (a retry) */
};

void saga_start(const struct saga_def *def, struct saga_state *s);
/* What to do now; `jitter` in [0, 1) spreads retries (tests pass 0). */
struct saga_command saga_next(const struct saga_def *def, const struct saga_state *s,
                              const struct saga_retry_policy *policy, double jitter);
/* Folds the outcome of the command that saga_next gave back into the state. */
void saga_record(const struct saga_def *def, struct saga_state *s,
                 const struct saga_retry_policy *policy, const struct saga_command *cmd,
                 enum saga_outcome outcome, const char *error);
/* The running step has had its time (a per-step deadline): fail it now and
 * compensate. No effect unless the saga is RUNNING and before its pivot. */
void saga_give_up(const struct saga_def *def, struct saga_state *s, const char *reason);
bool saga_is_final(enum saga_status status);
/* The same state, field by field (a stored copy against the one written). */
bool saga_state_equal(const struct saga_state *a, const struct saga_state *b);
/* The saga only moves forward now: its pivot succeeded (or it has nothing to undo). */
bool saga_past_pivot(const struct saga_def *def, const struct saga_state *s);
/* The step (or compensation) the saga is on: the one saga_next would run,
 * else (final) the one it ended at; "" for a completed saga. */
const char *saga_step_name(const struct saga_def *def, const struct saga_state *s);

/* The checkout saga: place_order -> make_payment -> change_order_status ->
 * reserve_inventory -> capture_payment (the pivot) -> confirm. */
extern const struct saga_def checkout_saga;
/* The cancellation of a confirmed order: request_cancel -> refund_payment ->
 * restock_inventory -> cancel_order. Nothing in it is undone: each step is
 * retried, and a definitive "no" leaves the saga FAILED for an operator. */
extern const struct saga_def cancellation_saga;
