/* What operators may do to a saga, as rules over its state: pure, no I/O.
 * Each action either changes the state so that the engine's guarantees
 * still hold (saga.h), or is refused with the reason (a CE_OP_* code):
 *  - RetryNow: an unfinished saga's next attempt waits no backoff;
 *  - Resume: a FAILED saga continues where it failed (its compensation, or
 *    a cancellation's step), a stuck one gets a fresh attempt budget; either
 *    way the step's clock restarts (its deadline, its stuck timer);
 *  - ForceCompensate: a RUNNING saga before its pivot compensates now, the
 *    step on hand counted as maybe applied when a call of it may be out
 *    (in_flight; every undo is fenced, so undoing what never happened is
 *    safe); refused after the pivot;
 *  - MarkResolved: a FAILED or stuck saga ends with the outcome an operator
 *    reached by hand: COMPENSATED before the pivot, COMPLETED after it. */
#pragma once

#include "saga.h"

/* Same numbers as bookstore.checkout.v1.OperatorActionKind. */
enum saga_op {
        SAGA_OP_RETRY_NOW = 1,
        SAGA_OP_RESUME = 2,
        SAGA_OP_FORCE_COMPENSATE = 3,
        SAGA_OP_MARK_RESOLVED = 4,
};

/* "retry_now", "resume", "force_compensate", "mark_resolved"; NULL for others. */
const char *saga_op_name(enum saga_op op);
/* "RUNNING", "COMPENSATING", "COMPLETED", "COMPENSATED", "FAILED". */
const char *saga_status_name(enum saga_status status);

struct saga_op_request {
        enum saga_op op;
        enum saga_status outcome; /* MarkResolved only */
        const char *reason;       /* checked by the caller: non-empty */
};

/* Applies the action to s: CE_OK, with *ret_restart the step whose clock
 * restarts (-1: none), or a CE_OP_* code with s unchanged. */
int saga_operate(const struct saga_def *def, struct saga_state *s,
                 const struct saga_op_request *req, long *ret_restart);
