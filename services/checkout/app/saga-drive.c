/* Driving one saga; see saga-drive.h. */
#include "saga-drive.h"

#include "checkout-steps.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "saga-hub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STORE_RETRY_MS = 1000 };

static int64_t now_ms(struct checkout_app *app)
{
        return core_env_now_ms(&app->env);
}

/* A write whose COMMIT went unanswered (the store's -EINPROGRESS: the
 * connection dropped after COMMIT was sent) may have happened: the job keeps
 * what it wrote, and the stored saga tells. If the store has it, the attempts
 * it carried are in the journal -- writing them again would journal them
 * twice; if not, they go with the next write. Until the store can be read,
 * the job stays unsettled (and writes nothing). 0: settled (*ret_written
 * says which), or the read's error. */
static int settle_unknown_write(struct checkout_app *app, struct saga_job *job, bool *ret_written)
{
        struct checkout_saga *stored = malloc(sizeof(*stored));
        int e = stored ? app->store.ops->find(app->store.self, job->saga.id, stored) : -ENOMEM;
        const struct saga_job_unsettled *w = &job->unsettled;
        *ret_written = e == 0 && saga_state_equal(&stored->state, &w->state) &&
                       stored->updated_ms == w->updated_ms &&
                       !strcmp(stored->order_id, w->order_id);
        free(stored);
        if (e < 0)
                return e;
        job->unsettled.pending = false;
        if (*ret_written)
                log_msg(LOG_INFO, "saga state saved (its commit went unanswered; the store has it)",
                        "{s:s}", "saga_id", job->saga.id);
        return 0;
}

/* Writes the saga under our lease, with its journal's new attempts.
 * -ESTALE: the lease is not ours any more. */
static int persist(struct checkout_app *app, struct saga_job *job)
{
        bool written = false;
        int e = job->unsettled.pending ? settle_unknown_write(app, job, &written) : 0;
        if (e == 0 && written)
                job->n_attempts = 0; /* they are in the journal: that write happened */
        if (e == 0 && written && saga_state_equal(&job->saga.state, &job->unsettled.state) &&
            job->saga.updated_ms == job->unsettled.updated_ms)
                e = 0; /* and nothing changed since: the store has it all */
        else if (e == 0)
                e = app->store.ops->save(app->store.self, &job->saga, app->cfg.owner,
                                         app->cfg.lease_ms, job->attempts, job->n_attempts);
        if (e == -EINPROGRESS) { /* unanswered: settled before anything else is written */
                job->unsettled = (struct saga_job_unsettled){.pending = true,
                                                             .state = job->saga.state,
                                                             .updated_ms = job->saga.updated_ms};
                snprintf(job->unsettled.order_id, sizeof(job->unsettled.order_id), "%s",
                         job->saga.order_id);
        }
        if (e == 0 || e == -ESTALE)
                job->n_attempts = 0; /* in the journal either way */
        if (e == 0) {
                job->dirty = false;
                if (app->hub)
                        saga_hub_publish(app->hub, &job->saga);
        } else if (e != -ESTALE) {
                log_msg(LOG_WARN, "saga state not saved; retrying", "{s:s, s:s}", "saga_id",
                        job->saga.id, "error", strerror(-e));
        }
        return e;
}

static const char *step_name(const struct saga_def *def, const struct saga_command *cmd)
{
        return cmd->kind == SAGA_CMD_RUN ? def->steps[cmd->step].name
                                         : def->steps[cmd->step].compensation;
}

/* The time coordinators have spent on the command's step (run or undo),
 * each on its own clock: what passed since this coordinator last looked at
 * the same step is added to it. A start time or a clock of another replica
 * is never compared with this one's, and a restart or an operator's action
 * only loses the time since the last look -- the step still reaches its
 * deadline however often it changes hands. */
static void account(struct saga_job *job, const struct saga_command *cmd, int64_t now)
{
        struct checkout_step_log *log = &job->saga.log[cmd->step];
        if (job->tick_ms && job->tick_step == cmd->step && job->tick_kind == cmd->kind &&
            now > job->tick_ms)
                log->elapsed_ms += now - job->tick_ms;
        job->tick_ms = now;
        job->tick_step = cmd->step;
        job->tick_kind = cmd->kind;
}

/* A forward step before the pivot that has had its time: give it up. After
 * the pivot nothing is given up (and compensations never are). */
static bool past_deadline(struct checkout_app *app, const struct saga_job *job,
                          const struct saga_def *def, const struct saga_command *cmd)
{
        return cmd->kind == SAGA_CMD_RUN && !saga_past_pivot(def, &job->saga.state) &&
               job->saga.state.attempts[cmd->step] > 0 &&
               job->saga.log[cmd->step].elapsed_ms > app->cfg.step_deadline_ms;
}

/* No progress for stuck_after_ms: flagged in the saga (GetSaga, ListSagas),
 * counted, and logged once -- not at every retry. */
static void mark_stuck(struct checkout_app *app, struct saga_job *job, const struct saga_def *def,
                       const struct saga_command *cmd)
{
        struct checkout_saga *s = &job->saga;
        const char *name = step_name(def, cmd);
        s->state.stuck = true;
        job->dirty = true;
        log_msg(LOG_WARN, "saga stuck", "{s:s, s:s, s:s, s:i, s:s}", "saga_id", s->id, "order_id",
                s->order_id, "step", name, "attempts", s->state.attempts[cmd->step], "last_error",
                s->log[cmd->step].last_error);
        if (app->observer.ops)
                app->observer.ops->saga_stuck(app->observer.self, s->kind, name);
}

static void log_end(const struct checkout_saga *s)
{
        log_msg(s->state.status == SAGA_COMPLETED ? LOG_INFO : LOG_WARN, "saga ended",
                "{s:s, s:s, s:s, s:s, s:s}", "saga_id", s->id, "order_id", s->order_id, "status",
                s->state.status == SAGA_COMPLETED     ? "COMPLETED"
                : s->state.status == SAGA_COMPENSATED ? "COMPENSATED"
                                                      : "FAILED",
                "reason", s->state.failure_reason, "trace_id", s->trace_id);
}

/* "CODE: message" split for the journal; a text without a status name is
 * all message. */
static void split_error(const char *error, struct checkout_attempt *a)
{
        size_t n = strspn(error, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        bool coded = n > 0 && n < sizeof(a->code) && error[n] == ':';
        snprintf(a->code, sizeof(a->code), "%.*s", coded ? (int)n : 7, coded ? error : "UNKNOWN");
        error += coded ? n + 1 + (error[n + 1] == ' ') : 0;
        snprintf(a->message, sizeof(a->message), "%.*s", (int)sizeof(a->message) - 1, error);
        utf8_sanitize(a->message);
}

static void journal_attempt(struct checkout_app *app, struct saga_job *job, const char *step,
                            const struct saga_command *cmd, const struct checkout_reply *reply,
                            int64_t started_ms)
{
        if (job->n_attempts == CHECKOUT_MAX_PENDING_ATTEMPTS) /* never: one call per save */
                memmove(job->attempts, job->attempts + 1,
                        --job->n_attempts * sizeof(job->attempts[0]));
        struct checkout_attempt *a = &job->attempts[job->n_attempts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->step, sizeof(a->step), "%s", step);
        a->compensation = cmd->kind == SAGA_CMD_COMPENSATE;
        a->outcome = reply->outcome;
        a->started_ms = started_ms;
        a->duration_ms = now_ms(app) - started_ms;
        if (reply->outcome == SAGA_OUTCOME_OK)
                snprintf(a->code, sizeof(a->code), "OK");
        else
                split_error(reply->error, a);
}

/* The participant call of cmd, its answer folded into the state. */
static void call_step(struct checkout_app *app, struct saga_job *job, const struct saga_def *def,
                      const struct saga_command *cmd)
{
        struct checkout_saga *s = &job->saga;
        struct checkout_step_log *log = &s->log[cmd->step];
        const char *name = step_name(def, cmd);
        char key[128];
        snprintf(key, sizeof(key), "%s:%s", s->id, name);
        struct checkout_call call = {.idempotency_key = key, .trace_id = s->trace_id};
        struct checkout_reply reply;
        int64_t t0 = clock_monotonic_us(), started_ms = now_ms(app);
        checkout_step_run(app, s, name, &call, &reply);
        s->state.in_flight = false;
        journal_attempt(app, job, name, cmd, &reply, started_ms);
        if (app->observer.ops)
                app->observer.ops->step_done(app->observer.self, name, reply.outcome,
                                             (double)(clock_monotonic_us() - t0) / 1e6);
        if (app->after_step && reply.outcome == SAGA_OUTCOME_OK)
                app->after_step(app->after_step_ctx, name);
        bool was_stuck = s->state.stuck;
        saga_record(def, &s->state, &app->cfg.policy, cmd, reply.outcome, reply.error);
        if (was_stuck && !s->state.stuck)
                log_msg(LOG_INFO, "saga moving again", "{s:s, s:s}", "saga_id", s->id, "step",
                        name);
        if (reply.outcome != SAGA_OUTCOME_OK) {
                snprintf(log->last_error, sizeof(log->last_error), "%s", reply.error);
                utf8_sanitize(log->last_error);
        }
        log->updated_ms = s->updated_ms = now_ms(app);
        job->dirty = true;
        if (saga_is_final(s->state.status) && app->observer.ops)
                app->observer.ops->saga_ended(app->observer.self, s->kind, s->state.status);
        if (saga_is_final(s->state.status))
                log_end(s);
}

static enum saga_drive_result store_failed(struct checkout_app *app, int e, struct saga_job *job,
                                           int64_t *ret_wait_ms)
{
        if (e == -ESTALE) { /* released by an operator: claimable; else someone else's */
                if (saga_drive_claim(app, job->saga.id, job) == 0)
                        return SAGA_DRIVE_AGAIN;
                log_msg(LOG_INFO, "saga left to another coordinator or ended by an operator",
                        "{s:s}", "saga_id", job->saga.id);
                return SAGA_DRIVE_DONE;
        }
        job->waited = true; /* no backoff on top of the store's */
        *ret_wait_ms = STORE_RETRY_MS;
        return SAGA_DRIVE_WAIT;
}

enum saga_drive_result saga_drive(struct checkout_app *app, struct saga_job *job,
                                  int64_t *ret_wait_ms)
{
        struct checkout_saga *s = &job->saga;
        if (job->reload && saga_drive_claim(app, s->id, job) < 0)
                return SAGA_DRIVE_DONE; /* ended, or another coordinator's now */
        const struct saga_def *def = checkout_def_of(s->kind);
        struct saga_command cmd =
                saga_next(def, &s->state, &app->cfg.policy, core_env_jitter(&app->env));
        bool must_wait = cmd.delay_ms > 0 && !job->waited;
        int64_t now = now_ms(app);
        if (cmd.kind != SAGA_CMD_DONE) /* a wait counts towards the step's time too */
                account(job, &cmd, now);
        int e;
        /* a step's answer is written together with the start of the next
         * step (one write per step); alone only when the saga ends or waits */
        if ((cmd.kind == SAGA_CMD_DONE || must_wait) && job->dirty && (e = persist(app, job)) < 0)
                return store_failed(app, e, job, ret_wait_ms);
        if (cmd.kind == SAGA_CMD_DONE)
                return SAGA_DRIVE_DONE;
        if (must_wait) {
                job->waited = true;
                *ret_wait_ms = cmd.delay_ms;
                return SAGA_DRIVE_WAIT;
        }
        job->waited = false;
        struct checkout_step_log *log = &s->log[cmd.step];
        if (past_deadline(app, job, def, &cmd)) {
                char why[300];
                snprintf(why, sizeof(why), "no success within %lld ms (last: %s)",
                         (long long)app->cfg.step_deadline_ms, log->last_error);
                saga_give_up(def, &s->state, why);
                log->updated_ms = s->updated_ms = now;
                job->dirty = true;
                return SAGA_DRIVE_AGAIN;
        }
        if (!s->state.stuck && s->state.attempts[cmd.step] > 0 &&
            log->elapsed_ms > app->cfg.stuck_after_ms)
                mark_stuck(app, job, def, &cmd);
        /* the state before the call, on disk first (a new saga is stored with
         * its first step running: nothing new to write then) */
        enum saga_step_status running =
                cmd.kind == SAGA_CMD_RUN ? SAGA_STEP_RUNNING : SAGA_STEP_COMPENSATING;
        bool stored = !job->dirty && s->state.steps[cmd.step] == running &&
                      s->state.attempts[cmd.step] == 0 && log->started_ms && s->state.in_flight;
        if (!stored) {
                s->state.steps[cmd.step] = running;
                s->state.in_flight = true; /* an operator's write from now on knows it */
                if (s->state.attempts[cmd.step] == 0) { /* the step's (or its undo's) start */
                        log->started_ms = now;
                        log->elapsed_ms = 0;
                }
                log->updated_ms = s->updated_ms = now;
                if ((e = persist(app, job)) < 0)
                        return store_failed(app, e, job, ret_wait_ms);
        }
        call_step(app, job, def, &cmd);
        return SAGA_DRIVE_AGAIN;
}

void saga_drive_stop(struct checkout_app *app, struct saga_job *job)
{
        if (job->dirty)
                persist(app, job);
}

int saga_drive_claim(struct checkout_app *app, const char *id, struct saga_job *job)
{
        struct checkout_saga *s = &job->saga;
        char saga_id[sizeof(s->id)]; /* id may be s->id, which the claim overwrites */
        snprintf(saga_id, sizeof(saga_id), "%s", id);
        int r = app->store.ops->claim(app->store.self, saga_id, app->cfg.owner, app->cfg.lease_ms,
                                      s);
        if (r < 0)
                return r;
        job->waited = job->dirty = job->reload = false;
        job->tick_ms = 0; /* the time before the claim is not this coordinator's to count */
        /* a call may have been out when the last owner stopped (or an
         * operator took the saga from it) */
        if (s->state.status == SAGA_RUNNING &&
            s->state.steps[s->state.current] == SAGA_STEP_RUNNING && s->state.in_flight)
                s->state.maybe_applied[s->state.current] = true;
        if (s->state.in_flight) { /* counted above; none of ours is out: the next write says so */
                s->state.in_flight = false;
                job->dirty = true;
        }
        char outer[33];
        snprintf(outer, sizeof(outer), "%s", log_trace_id());
        log_set_trace_id(s->trace_id); /* the line is about the saga: its trace */
        log_msg(LOG_INFO, "saga resumed", "{s:s, s:s, s:s}", "saga_id", s->id, "order_id",
                s->order_id, "step", checkout_def_of(s->kind)->steps[s->state.current].name);
        log_set_trace_id(outer);
        return 0;
}
