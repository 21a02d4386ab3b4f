/* The saga engine; see saga.h. */
#include "saga.h"

#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

static const struct saga_step_def checkout_steps[] = {
        {"place_order", "reject_order"},
        {"make_payment", "void_payment"},
        {"change_order_status", NULL}, /* undone by reject_order */
        {"reserve_inventory", "release_stock"},
        {"capture_payment", "refund_payment"}, /* the pivot */
        {"confirm", NULL},                     /* after the pivot: retried, never undone */
};

const struct saga_def checkout_saga = {
        .steps = checkout_steps,
        .n_steps = sizeof(checkout_steps) / sizeof(checkout_steps[0]),
        .has_pivot = true,
        .pivot = 4,
};

static const struct saga_step_def cancellation_steps[] = {
        {"request_cancel", NULL},    /* order CANCEL_REQUESTED */
        {"refund_payment", NULL},    /* the captured payment back */
        {"restock_inventory", NULL}, /* the sold units back on hand */
        {"cancel_order", NULL},      /* order CANCELLED */
};

const struct saga_def cancellation_saga = {
        .steps = cancellation_steps,
        .n_steps = sizeof(cancellation_steps) / sizeof(cancellation_steps[0]),
        .forward_only = true,
};

/* A switch with no default: -Wswitch (an error here) rejects a new status
 * that is not sorted into final or not. */
bool saga_is_final(enum saga_status status)
{
        switch (status) {
        case SAGA_RUNNING:
        case SAGA_COMPENSATING:
                return false;
        case SAGA_COMPLETED:
        case SAGA_COMPENSATED:
        case SAGA_FAILED:
                return true;
        }
        return false;
}

bool saga_past_pivot(const struct saga_def *def, const struct saga_state *s)
{
        return def->forward_only || (def->has_pivot && s->steps[def->pivot] == SAGA_STEP_SUCCEEDED);
}

bool saga_state_equal(const struct saga_state *a, const struct saga_state *b)
{
        if (a->status != b->status || a->current != b->current || a->stuck != b->stuck ||
            a->retry_now != b->retry_now || a->in_flight != b->in_flight ||
            strcmp(a->failure_reason, b->failure_reason))
                return false;
        for (size_t i = 0; i < SAGA_MAX_STEPS; i++)
                if (a->steps[i] != b->steps[i] || a->attempts[i] != b->attempts[i] ||
                    a->maybe_applied[i] != b->maybe_applied[i])
                        return false;
        return true;
}

const char *saga_step_name(const struct saga_def *def, const struct saga_state *s)
{
        static const struct saga_retry_policy no_wait = {0};
        struct saga_command cmd = saga_next(def, s, &no_wait, 0);
        switch (cmd.kind) {
        case SAGA_CMD_RUN:
                return def->steps[cmd.step].name;
        case SAGA_CMD_COMPENSATE: /* never NULL: a name for every state, even a stored odd one */
                return def->steps[cmd.step].compensation ? def->steps[cmd.step].compensation
                                                         : def->steps[cmd.step].name;
        case SAGA_CMD_DONE:
                break;
        }
        if (s->status == SAGA_COMPLETED || s->current >= def->n_steps)
                return "";
        const struct saga_step_def *st = &def->steps[s->current];
        return st->compensation && (s->steps[s->current] == SAGA_STEP_COMPENSATED ||
                                    s->steps[s->current] == SAGA_STEP_COMPENSATING)
                       ? st->compensation
                       : st->name;
}

void saga_start(const struct saga_def *def, struct saga_state *s)
{
        memset(s, 0, sizeof(*s));
        s->status = SAGA_RUNNING;
        for (size_t i = 0; i < def->n_steps; i++)
                s->steps[i] = SAGA_STEP_PENDING;
}

static int64_t backoff(const struct saga_retry_policy *p, const struct saga_state *s, int attempts,
                       double jitter)
{
        if (attempts <= 0 || s->retry_now)
                return 0;
        int64_t d = p->base_delay_ms;
        for (int i = 1; i < attempts && d < p->max_delay_ms; i++)
                d *= 2;
        if (d > p->max_delay_ms)
                d = p->max_delay_ms;
        return d + (int64_t)((double)d * jitter / 2); /* up to +50% */
}

/* The next step to compensate at or below `from`, or -1 when none is left. */
static long next_to_compensate(const struct saga_def *def, const struct saga_state *s, long from)
{
        for (long i = from; i >= 0; i--)
                if (def->steps[i].compensation && s->steps[i] != SAGA_STEP_COMPENSATED &&
                    s->steps[i] != SAGA_STEP_PENDING &&
                    !(s->steps[i] == SAGA_STEP_FAILED && !s->maybe_applied[i]))
                        return i;
        return -1;
}

struct saga_command saga_next(const struct saga_def *def, const struct saga_state *s,
                              const struct saga_retry_policy *policy, double jitter)
{
        if (saga_is_final(s->status))
                return (struct saga_command){.kind = SAGA_CMD_DONE};
        if (s->status == SAGA_RUNNING)
                return (struct saga_command){
                        .kind = SAGA_CMD_RUN,
                        .step = s->current,
                        .delay_ms = backoff(policy, s, s->attempts[s->current], jitter)};
        long step = next_to_compensate(def, s, (long)s->current);
        if (step < 0)
                return (struct saga_command){.kind = SAGA_CMD_DONE};
        return (struct saga_command){.kind = SAGA_CMD_COMPENSATE,
                                     .step = (size_t)step,
                                     .delay_ms = backoff(policy, s, s->attempts[step], jitter)};
}

static void begin_compensation(const struct saga_def *def, struct saga_state *s, size_t failed,
                               const char *reason)
{
        s->steps[failed] = SAGA_STEP_FAILED;
        snprintf(s->failure_reason, sizeof(s->failure_reason), "%s: %s", def->steps[failed].name,
                 reason ? reason : "failed");
        utf8_sanitize(s->failure_reason); /* a cut may split a character */
        s->current = failed;
        if (def->forward_only) {
                s->status = SAGA_FAILED;
                return;
        }
        s->status = SAGA_COMPENSATING;
        for (size_t i = 0; i <= failed; i++) /* those to undo count undo attempts from now on */
                if (def->steps[i].compensation && (i < failed || s->maybe_applied[i]))
                        s->attempts[i] = 0;
        if (next_to_compensate(def, s, (long)failed) < 0)
                s->status = SAGA_COMPENSATED;
}

void saga_give_up(const struct saga_def *def, struct saga_state *s, const char *reason)
{
        if (s->status == SAGA_RUNNING && !saga_past_pivot(def, s))
                begin_compensation(def, s, s->current, reason);
}

void saga_record(const struct saga_def *def, struct saga_state *s,
                 const struct saga_retry_policy *policy, const struct saga_command *cmd,
                 enum saga_outcome outcome, const char *error)
{
        size_t i = cmd->step;
        s->retry_now = false; /* the attempt it asked for was made */
        if (outcome == SAGA_OUTCOME_OK)
                s->stuck = false; /* progress */
        if (cmd->kind == SAGA_CMD_RUN) {
                if (outcome != SAGA_OUTCOME_UNREACHED)
                        s->maybe_applied[i] = true;
                s->attempts[i]++;
                if (outcome == SAGA_OUTCOME_OK) {
                        s->steps[i] = SAGA_STEP_SUCCEEDED;
                        if (++s->current == def->n_steps)
                                s->status = SAGA_COMPLETED;
                        return;
                }
                bool retry = outcome != SAGA_OUTCOME_BUSINESS;
                if (saga_past_pivot(def, s)) { /* forward, whatever it takes */
                        retry = retry || !def->forward_only;
                } else if (policy->max_attempts && s->attempts[i] >= policy->max_attempts) {
                        retry = false;
                }
                if (retry) {
                        s->steps[i] = SAGA_STEP_RUNNING; /* run again after a backoff */
                        return;
                }
                begin_compensation(def, s, i, error ? error : "gave up");
                return;
        }
        if (cmd->kind != SAGA_CMD_COMPENSATE)
                return;
        if (outcome == SAGA_OUTCOME_OK) {
                s->steps[i] = SAGA_STEP_COMPENSATED;
                s->current = i;
                if (next_to_compensate(def, s, (long)i) < 0)
                        s->status = SAGA_COMPENSATED;
                return;
        }
        s->steps[i] = SAGA_STEP_COMPENSATING;
        s->attempts[i]++;
        if (policy->max_compensation_attempts &&
            s->attempts[i] >= policy->max_compensation_attempts) {
                s->status = SAGA_FAILED;
                snprintf(s->failure_reason, sizeof(s->failure_reason),
                         "compensation %s keeps failing: %s", def->steps[i].compensation,
                         error ? error : "error");
                utf8_sanitize(s->failure_reason);
        }
}
