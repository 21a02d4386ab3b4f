/* The saga runner; see saga-runner.h. */
#include "saga-runner.h"

#include "checkout-steps.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "saga-hub.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STORE_RETRY_MS = 1000, SCAN_BATCH = 256 };

struct job {
        struct job *next;
        struct checkout_saga saga;
        int64_t not_before_us; /* monotonic */
        bool waited;           /* the next command's backoff is over */
        bool dirty;            /* state the store has not seen yet */
        bool running;
};

struct saga_runner {
        struct checkout_app *app;
        pthread_mutex_t lock;
        pthread_cond_t wake;      /* runners: a job is ready, or stop */
        pthread_cond_t scan_wake; /* the scanner: stop */
        struct job *jobs;         /* every saga this process drives: queued or running */
        bool stopping;
        pthread_t *threads;
        int n_threads;
        pthread_t scanner;
        bool scanner_started;
};

static int64_t now_ms(struct checkout_app *app)
{
        return app->env.ops->now_ms(app->env.self);
}

/* Writes the saga under our lease. -ESTALE: another coordinator took it. */
static int persist(struct saga_runner *r, struct job *job)
{
        struct checkout_app *app = r->app;
        int e = app->store.ops->save(app->store.self, &job->saga, app->cfg.owner,
                                     app->cfg.lease_ms);
        if (e == 0) {
                job->dirty = false;
                saga_hub_publish(app->hub, &job->saga);
        } else if (e != -ESTALE) {
                log_msg(LOG_WARN, "saga state not saved; retrying", "{s:s, s:s}", "saga_id",
                        job->saga.id, "error", strerror(-e));
        }
        return e;
}

static const char *step_name(const struct saga_def *def, const struct saga_command *cmd)
{
        return cmd->kind == CMD_RUN ? def->steps[cmd->step].name
                                    : def->steps[cmd->step].compensation;
}

static bool advance_steps(struct saga_runner *r, struct job *job, struct checkout_saga *s,
                          const struct saga_def *def);

/* A forward step before the pivot that has had its time: give it up. After
 * the pivot nothing is given up (and compensations never are). */
static bool past_deadline(struct checkout_app *app, const struct checkout_saga *s,
                          const struct saga_def *def, const struct saga_command *cmd, int64_t now)
{
        return cmd->kind == CMD_RUN && !saga_past_pivot(def, &s->state) &&
               s->state.attempts[cmd->step] > 0 &&
               now - s->log[cmd->step].started_ms > app->cfg.step_deadline_ms;
}

/* No progress for stuck_after_ms: flagged in the saga (GetSaga, ListSagas),
 * counted, and logged once -- not at every retry. */
static void mark_stuck(struct checkout_app *app, struct job *job, const struct saga_def *def,
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

/* Drives the job until it must wait (true: keep it queued) or is done or
 * lost (false). */
static bool advance(struct saga_runner *r, struct job *job)
{
        struct checkout_saga *s = &job->saga;
        const struct saga_def *def = checkout_def_of(s->kind);
        log_set_trace_id(s->trace_id); /* every line about this saga carries its trace */
        bool keep = advance_steps(r, job, s, def);
        log_set_trace_id(NULL);
        return keep;
}

static bool advance_steps(struct saga_runner *r, struct job *job, struct checkout_saga *s,
                          const struct saga_def *def)
{
        struct checkout_app *app = r->app;
        for (;;) {
                int e;
                if (__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
                        if (job->dirty) /* else the answer is asked again after the restart */
                                persist(r, job);
                        return false; /* resumed from the store at the next start */
                }
                struct saga_command cmd = saga_next(def, &s->state, &app->cfg.policy,
                                                    app->env.ops->jitter(app->env.self));
                /* A step's answer is written together with the start of the next
                 * step (one write per step); alone only when the saga ends or waits. */
                if ((cmd.kind == CMD_DONE || (cmd.delay_ms > 0 && !job->waited)) && job->dirty &&
                    (e = persist(r, job)) < 0)
                        goto store_failed;
                if (cmd.kind == CMD_DONE)
                        return false;
                if (cmd.delay_ms > 0 && !job->waited) {
                        job->waited = true;
                        job->not_before_us = clock_monotonic_us() + cmd.delay_ms * 1000;
                        return true;
                }
                job->waited = false;
                struct checkout_step_log *log = &s->log[cmd.step];
                int64_t now = now_ms(app);
                if (past_deadline(app, s, def, &cmd, now)) {
                        char why[300];
                        snprintf(why, sizeof(why), "no success within %lld ms (last: %s)",
                                 (long long)app->cfg.step_deadline_ms, log->last_error);
                        saga_give_up(def, &s->state, why);
                        log->updated_ms = s->updated_ms = now;
                        job->dirty = true;
                        continue;
                }
                if (!s->state.stuck && s->state.attempts[cmd.step] > 0 &&
                    now - log->started_ms > app->cfg.stuck_after_ms)
                        mark_stuck(app, job, def, &cmd);
                /* the state before the call, on disk first (a new saga is stored
                 * with its first step running: nothing new to write then) */
                enum saga_step_status running =
                        cmd.kind == CMD_RUN ? STEP_RUNNING : STEP_COMPENSATING;
                bool stored = !job->dirty && s->state.steps[cmd.step] == running &&
                              s->state.attempts[cmd.step] == 0 && log->started_ms;
                if (!stored) {
                        s->state.steps[cmd.step] = running;
                        if (s->state.attempts[cmd.step] == 0)
                                log->started_ms = now;
                        log->updated_ms = s->updated_ms = now;
                        if ((e = persist(r, job)) < 0)
                                goto store_failed;
                }
                const char *name = step_name(def, &cmd);
                char key[128];
                snprintf(key, sizeof(key), "%s:%s", s->id, name);
                struct checkout_call call = {.idempotency_key = key, .trace_id = s->trace_id};
                struct checkout_reply reply;
                int64_t t0 = clock_monotonic_us();
                checkout_step_run(app, s, name, &call, &reply);
                if (app->observer.ops)
                        app->observer.ops->step_done(app->observer.self, name, reply.outcome,
                                                     (double)(clock_monotonic_us() - t0) / 1e6);
                if (app->after_step && reply.outcome == SAGA_OUTCOME_OK)
                        app->after_step(app->after_step_ctx, name);
                bool was_stuck = s->state.stuck;
                saga_record(def, &s->state, &app->cfg.policy, &cmd, reply.outcome, reply.error);
                if (was_stuck && !s->state.stuck)
                        log_msg(LOG_INFO, "saga moving again", "{s:s, s:s}", "saga_id", s->id,
                                "step", name);
                if (reply.outcome != SAGA_OUTCOME_OK) {
                        snprintf(log->last_error, sizeof(log->last_error), "%s", reply.error);
                        utf8_sanitize(log->last_error);
                }
                log->updated_ms = s->updated_ms = now_ms(app);
                job->dirty = true;
                if (saga_is_final(s->state.status) && app->observer.ops)
                        app->observer.ops->saga_ended(app->observer.self, s->kind, s->state.status);
                if (saga_is_final(s->state.status))
                        log_msg(s->state.status == SAGA_COMPLETED ? LOG_INFO : LOG_WARN,
                                "saga ended", "{s:s, s:s, s:s, s:s, s:s}", "saga_id", s->id,
                                "order_id", s->order_id, "status",
                                s->state.status == SAGA_COMPLETED     ? "COMPLETED"
                                : s->state.status == SAGA_COMPENSATED ? "COMPENSATED"
                                                                      : "FAILED",
                                "reason", s->state.failure_reason, "trace_id", s->trace_id);
                continue;
        store_failed:
                if (e == -ESTALE) {
                        log_msg(LOG_WARN, "saga taken over by another coordinator", "{s:s}",
                                "saga_id", s->id);
                        return false;
                }
                job->waited = true; /* no backoff on top of the store's */
                job->not_before_us = clock_monotonic_us() + STORE_RETRY_MS * 1000;
                return true;
        }
}

static struct job *pick_ready(struct saga_runner *r, int64_t *ret_earliest_us)
{
        int64_t now = clock_monotonic_us();
        struct job *best = NULL;
        *ret_earliest_us = INT64_MAX;
        for (struct job *j = r->jobs; j; j = j->next) {
                if (j->running)
                        continue;
                if (j->not_before_us <= now && (!best || j->not_before_us < best->not_before_us))
                        best = j;
                if (j->not_before_us < *ret_earliest_us)
                        *ret_earliest_us = j->not_before_us;
        }
        return best;
}

static void wait_until(struct saga_runner *r, pthread_cond_t *cond, int64_t until_us)
{
        if (until_us == INT64_MAX) {
                pthread_cond_wait(cond, &r->lock);
                return;
        }
        struct timespec ts = {.tv_sec = until_us / 1000000,
                              .tv_nsec = (long)(until_us % 1000000) * 1000};
        pthread_cond_timedwait(cond, &r->lock, &ts);
}

static void remove_job(struct saga_runner *r, struct job *job)
{
        for (struct job **p = &r->jobs; *p; p = &(*p)->next)
                if (*p == job) {
                        *p = job->next;
                        break;
                }
        free(job);
}

static void *runner_main(void *arg)
{
        struct saga_runner *r = arg;
        pthread_mutex_lock(&r->lock);
        while (!r->stopping) {
                int64_t earliest;
                struct job *job = pick_ready(r, &earliest);
                if (!job) {
                        wait_until(r, &r->wake, earliest);
                        continue;
                }
                job->running = true;
                pthread_mutex_unlock(&r->lock);
                bool keep = advance(r, job);
                pthread_mutex_lock(&r->lock);
                job->running = false;
                if (!keep)
                        remove_job(r, job);
                else
                        pthread_cond_signal(&r->wake); /* its time may come before others' */
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
}

static bool active(struct saga_runner *r, const char *id)
{
        for (struct job *j = r->jobs; j; j = j->next)
                if (!strcmp(j->saga.id, id))
                        return true;
        return false;
}

int saga_runner_submit(struct saga_runner *r, const struct checkout_saga *s)
{
        struct job *job = calloc(1, sizeof(*job));
        if (!job)
                return -ENOMEM;
        job->saga = *s;
        pthread_mutex_lock(&r->lock);
        if (r->stopping || active(r, s->id)) {
                pthread_mutex_unlock(&r->lock);
                free(job);
                return 0;
        }
        job->next = r->jobs;
        r->jobs = job;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->lock);
        return 0;
}

static void resume_one(struct saga_runner *r, const char *id, struct checkout_saga *s)
{
        struct checkout_app *app = r->app;
        pthread_mutex_lock(&r->lock);
        bool skip = active(r, id) || r->stopping;
        pthread_mutex_unlock(&r->lock);
        if (skip ||
            app->store.ops->claim(app->store.self, id, app->cfg.owner, app->cfg.lease_ms, s) < 0)
                return;
        /* a call may have been in flight when the last owner stopped */
        if (s->state.status == SAGA_RUNNING && s->state.steps[s->state.current] == STEP_RUNNING)
                s->state.maybe_applied[s->state.current] = true;
        log_msg(LOG_INFO, "saga resumed", "{s:s, s:s, s:s}", "saga_id", s->id, "order_id",
                s->order_id, "step", checkout_def_of(s->kind)->steps[s->state.current].name);
        saga_runner_submit(r, s);
}

/* Claims and queues the unfinished sagas this process is not driving yet,
 * page by page until there are no more. */
static void resume_unfinished(struct saga_runner *r)
{
        struct checkout_app *app = r->app;
        char(*ids)[37] = calloc(SCAN_BATCH, sizeof(*ids));
        int64_t *seqs = calloc(SCAN_BATCH, sizeof(*seqs));
        struct checkout_saga *s = malloc(sizeof(*s));
        int64_t after = 0;
        size_t n = SCAN_BATCH;
        while (ids && seqs && s && n == SCAN_BATCH &&
               !__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
                if (app->store.ops->list_unfinished(app->store.self, app->cfg.owner, after, ids,
                                                    seqs, SCAN_BATCH, &n) < 0)
                        break;
                for (size_t i = 0; i < n; i++) {
                        after = seqs[i];
                        resume_one(r, ids[i], s);
                }
        }
        free(ids);
        free(seqs);
        free(s);
}

static void *scanner_main(void *arg)
{
        struct saga_runner *r = arg;
        pthread_mutex_lock(&r->lock);
        while (!r->stopping) {
                wait_until(r, &r->scan_wake,
                           clock_monotonic_us() + r->app->cfg.resume_interval_ms * 1000);
                if (r->stopping)
                        break;
                pthread_mutex_unlock(&r->lock);
                resume_unfinished(r);
                pthread_mutex_lock(&r->lock);
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
}

int saga_runner_start(struct saga_runner **ret, struct checkout_app *app)
{
        struct saga_runner *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->app = app;
        pthread_mutex_init(&r->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&r->wake, &attr);
        pthread_cond_init(&r->scan_wake, &attr);
        pthread_condattr_destroy(&attr);
        r->threads = calloc((size_t)app->cfg.runners, sizeof(*r->threads));
        if (!r->threads) {
                saga_runner_stop(r);
                return -ENOMEM;
        }
        resume_unfinished(r); /* queued before the threads start: nothing runs twice */
        for (; r->n_threads < app->cfg.runners; r->n_threads++)
                if (pthread_create(&r->threads[r->n_threads], NULL, runner_main, r)) {
                        saga_runner_stop(r);
                        return -EAGAIN;
                }
        if (pthread_create(&r->scanner, NULL, scanner_main, r)) {
                saga_runner_stop(r);
                return -EAGAIN;
        }
        r->scanner_started = true;
        *ret = r;
        return 0;
}

void saga_runner_stop(struct saga_runner *r)
{
        if (!r)
                return;
        pthread_mutex_lock(&r->lock);
        __atomic_store_n(&r->stopping, true, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&r->wake);
        pthread_cond_broadcast(&r->scan_wake);
        pthread_mutex_unlock(&r->lock);
        for (int i = 0; i < r->n_threads; i++)
                pthread_join(r->threads[i], NULL);
        if (r->scanner_started)
                pthread_join(r->scanner, NULL);
        while (r->jobs) {
                struct job *j = r->jobs;
                r->jobs = j->next;
                free(j);
        }
        free(r->threads);
        pthread_cond_destroy(&r->wake);
        pthread_cond_destroy(&r->scan_wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
}
