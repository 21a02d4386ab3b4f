/* The saga engine: pure decisions, no I/O. A saga definition is data (a table
 * of steps, each with an action and maybe a compensation); the engine looks
 * at a saga's state and says what to do next, and folds each step's outcome
 * back into the state. The coordinator persists the state before every step
 * and executes the commands; a restarted coordinator resumes from the state.
 *
 * Rules:
 *  - steps run in order; a transient failure (UNAVAILABLE, DEADLINE_EXCEEDED)
 *    is retried with exponential backoff and jitter up to max_attempts;
 *  - a business failure (declined, out of stock, invalid), or retries running
 *    out (attempts, or the step's deadline: saga_give_up), starts
 *    compensation: from the failed step (its outcome may be uncertain: a
 *    timed-out payment may have been authorized; compensations are
 *    idempotent, so undoing what never happened is a no-op) back to the
 *    first, skipping steps without a compensation. The failed step itself is
 *    skipped when no attempt of it can have acted (every attempt UNREACHED):
 *    so a participant that is down for good does not hold the saga in
 *    compensation forever;
 *  - a compensation is retried until it succeeds (or max_compensation_attempts,
 *    when not 0, after which the saga is FAILED for an operator). */
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
        STEP_PENDING = 1,
        STEP_RUNNING = 2,
        STEP_SUCCEEDED = 3,
        STEP_FAILED = 4,
        STEP_COMPENSATING = 5,
        STEP_COMPENSATED = 6,
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
};

struct saga_retry_policy {
        int max_attempts;              /* per forward step */
        int max_compensation_attempts; /* 0: forever */
        int64_t base_delay_ms, max_delay_ms;
};

struct saga_state {
        enum saga_status status;
        size_t current; /* the step being run or compensated */
        enum saga_step_status steps[SAGA_MAX_STEPS];
        int attempts[SAGA_MAX_STEPS];
        bool maybe_applied[SAGA_MAX_STEPS]; /* an attempt may have acted */
        char failure_reason[256];
};

enum saga_outcome {
        SAGA_OUTCOME_OK,
        SAGA_OUTCOME_TRANSIENT, /* worth retrying; the participant may have acted
                                   (e.g. DEADLINE_EXCEEDED) */
        SAGA_OUTCOME_UNREACHED, /* worth retrying; the participant certainly did not act
                                   (UNAVAILABLE: not delivered, or refused before acting) */
        SAGA_OUTCOME_BUSINESS,  /* a definitive "no" */
};

enum saga_command_kind { CMD_RUN, CMD_COMPENSATE, CMD_DONE };

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
 * compensate. No effect unless the saga is RUNNING. */
void saga_give_up(const struct saga_def *def, struct saga_state *s, const char *reason);
bool saga_is_final(enum saga_status status);

/* The checkout saga: place_order -> make_payment -> change_order_status ->
 * reserve_inventory -> capture_payment -> confirm. */
extern const struct saga_def checkout_saga;
/* The cancellation of a confirmed order: request_cancel -> refund_payment ->
 * restock_inventory -> cancel_order. Nothing in it is undone: each step is
 * retried, and a definitive "no" leaves the saga FAILED for an operator. */
extern const struct saga_def cancellation_saga;
