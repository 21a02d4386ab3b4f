/* Operator actions; see saga-operator.h. */
#include "saga-operator.h"

#include "checkout-errors.h"
#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

const char *saga_op_name(enum saga_op op)
{
        switch (op) {
        case SAGA_OP_RETRY_NOW:
                return "retry_now";
        case SAGA_OP_RESUME:
                return "resume";
        case SAGA_OP_FORCE_COMPENSATE:
                return "force_compensate";
        case SAGA_OP_MARK_RESOLVED:
                return "mark_resolved";
        }
        return NULL;
}

const char *saga_status_name(enum saga_status status)
{
        switch (status) {
        case SAGA_RUNNING:
                return "RUNNING";
        case SAGA_COMPENSATING:
                return "COMPENSATING";
        case SAGA_COMPLETED:
                return "COMPLETED";
        case SAGA_COMPENSATED:
                return "COMPENSATED";
        case SAGA_FAILED:
                return "FAILED";
        }
        return "UNKNOWN";
}

/* The step saga_next would run or compensate next; -1 when none. */
static long step_on_hand(const struct saga_def *def, const struct saga_state *s)
{
        static const struct saga_retry_policy no_wait = {0};
        struct saga_command cmd = saga_next(def, s, &no_wait, 0);
        return cmd.kind == SAGA_CMD_DONE ? -1 : (long)cmd.step;
}

static void set_reason(struct saga_state *s, const char *prefix, const char *reason)
{
        snprintf(s->failure_reason, sizeof(s->failure_reason), "%s%s", prefix, reason);
        utf8_sanitize(s->failure_reason);
}

/* A FAILED saga continues where it failed: a compensation that kept failing
 * is tried again, a forward-only saga's refused step is run again. */
static int resume_failed(const struct saga_def *def, struct saga_state *s, long *ret_restart)
{
        size_t i = s->current;
        if (s->steps[i] == SAGA_STEP_FAILED && def->forward_only) {
                s->status = SAGA_RUNNING;
                s->steps[i] = SAGA_STEP_RUNNING;
                s->failure_reason[0] = '\0';
        } else {
                s->status = SAGA_COMPENSATING;
        }
        long step = step_on_hand(def, s);
        if (step >= 0)
                s->attempts[step] = 0;
        *ret_restart = step;
        return CE_OK;
}

static int resume(const struct saga_def *def, struct saga_state *s, long *ret_restart)
{
        if (s->status == SAGA_FAILED)
                return resume_failed(def, s, ret_restart);
        if (saga_is_final(s->status))
                return CE_OP_SAGA_ENDED;
        if (!s->stuck)
                return CE_OP_NOT_STUCK;
        long step = step_on_hand(def, s);
        if (step >= 0)
                s->attempts[step] = 0; /* a fresh budget: backoff and attempt limit */
        s->stuck = false;
        *ret_restart = step;
        return CE_OK;
}

static int force_compensate(const struct saga_def *def, struct saga_state *s, const char *reason)
{
        if (def->forward_only) /* whatever its status: the most useful answer */
                return CE_OP_FORWARD_ONLY;
        if (saga_is_final(s->status))
                return CE_OP_SAGA_ENDED;
        if (s->status == SAGA_COMPENSATING)
                return CE_OP_COMPENSATING;
        if (saga_past_pivot(def, s))
                return CE_OP_PAST_PIVOT;
        char why[256];
        snprintf(why, sizeof(why), "compensated by an operator: %s", reason);
        /* a call of the step on hand may be out: it may act (the undo is
         * fenced); with none out, what the attempts did is known */
        if (s->steps[s->current] == SAGA_STEP_RUNNING && s->in_flight)
                s->maybe_applied[s->current] = true;
        s->stuck = false;
        saga_give_up(def, s, why);
        return CE_OK;
}

static int mark_resolved(const struct saga_def *def, struct saga_state *s,
                         const struct saga_op_request *req)
{
        if (req->outcome != SAGA_COMPLETED && req->outcome != SAGA_COMPENSATED)
                return CE_OP_OUTCOME_INVALID;
        if (s->status != SAGA_FAILED && saga_is_final(s->status))
                return CE_OP_SAGA_ENDED;
        if (s->status != SAGA_FAILED && !s->stuck)
                return CE_OP_NOT_STUCK;
        bool past = saga_past_pivot(def, s);
        if (past && req->outcome != SAGA_COMPLETED)
                return CE_OP_RESOLVE_PAST_PIVOT;
        if (!past && req->outcome != SAGA_COMPENSATED)
                return CE_OP_RESOLVE_BEFORE_PIVOT;
        s->status = req->outcome;
        s->stuck = s->retry_now = false;
        if (req->outcome == SAGA_COMPENSATED)
                set_reason(s, "resolved by an operator: ", req->reason);
        else
                s->failure_reason[0] = '\0';
        return CE_OK;
}

int saga_operate(const struct saga_def *def, struct saga_state *s,
                 const struct saga_op_request *req, long *ret_restart)
{
        struct saga_state next = *s;
        long restart = -1;
        int r = CE_OP_OUTCOME_INVALID;
        switch (req->op) {
        case SAGA_OP_RETRY_NOW:
                r = saga_is_final(s->status) ? CE_OP_SAGA_ENDED : CE_OK;
                break;
        case SAGA_OP_RESUME:
                r = resume(def, &next, &restart);
                break;
        case SAGA_OP_FORCE_COMPENSATE:
                r = force_compensate(def, &next, req->reason);
                break;
        case SAGA_OP_MARK_RESOLVED:
                r = mark_resolved(def, &next, req);
                break;
        }
        if (r != CE_OK)
                return r;
        if (!saga_is_final(next.status))
                next.retry_now = true; /* every action that leaves it running: act now */
        *s = next;
        *ret_restart = restart;
        return CE_OK;
}
