/* The saga runner; see saga-runner.h. */
#include "saga-runner.h"

#include "core/clock.h"
#include "core/log.h"
#include "saga-drive.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SCAN_BATCH = 256 };

struct job {
        struct job *next;
        struct saga_job drive;
        int64_t not_before_us; /* monotonic */
        bool running;
        bool reload; /* an operator changed the saga: claim it again before the next step */
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

/* Drives the job until it must wait (true: keep it queued) or is done or
 * lost (false). */
static bool advance(struct saga_runner *r, struct job *job)
{
        struct checkout_app *app = r->app;
        log_set_trace_id(job->drive.saga.trace_id); /* every line about this saga carries it */
        enum saga_drive_result d = SAGA_DRIVE_AGAIN;
        int64_t wait_ms = 0;
        while (d == SAGA_DRIVE_AGAIN) {
                if (__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
                        saga_drive_stop(app, &job->drive);
                        d = SAGA_DRIVE_DONE; /* resumed from the store at the next start */
                        break;
                }
                d = saga_drive(app, &job->drive, &wait_ms);
        }
        if (d == SAGA_DRIVE_WAIT)
                job->not_before_us = clock_monotonic_us() + wait_ms * 1000;
        log_set_trace_id(NULL);
        return d == SAGA_DRIVE_WAIT;
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
                job->drive.reload = job->reload;
                job->reload = false;
                pthread_mutex_unlock(&r->lock);
                bool keep = advance(r, job);
                pthread_mutex_lock(&r->lock);
                job->running = false;
                if (job->reload) /* woken while it ran: at once, from the store */
                        job->not_before_us = 0;
                if (!keep)
                        remove_job(r, job);
                else
                        pthread_cond_signal(&r->wake); /* its time may come before others' */
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
}

static struct job *job_of(struct saga_runner *r, const char *id)
{
        for (struct job *j = r->jobs; j; j = j->next)
                if (!strcmp(j->drive.saga.id, id))
                        return j;
        return NULL;
}

static bool active(struct saga_runner *r, const char *id)
{
        return job_of(r, id) != NULL;
}

/* Queues a job (taken over; freed here when not queued). */
static int queue_job(struct saga_runner *r, struct job *job)
{
        const struct checkout_saga *s = &job->drive.saga;
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

int saga_runner_submit(struct saga_runner *r, const struct checkout_saga *s)
{
        struct job *job = calloc(1, sizeof(*job));
        if (!job)
                return -ENOMEM;
        job->drive.saga = *s;
        return queue_job(r, job);
}

static void resume_one(struct saga_runner *r, const char *id)
{
        pthread_mutex_lock(&r->lock);
        bool skip = active(r, id) || r->stopping;
        pthread_mutex_unlock(&r->lock);
        struct job *job = skip ? NULL : calloc(1, sizeof(*job));
        if (!job)
                return;
        if (saga_drive_claim(r->app, id, &job->drive) < 0) {
                free(job);
                return;
        }
        queue_job(r, job);
}

void saga_runner_wake(struct saga_runner *r, const char *id)
{
        pthread_mutex_lock(&r->lock);
        struct job *job = job_of(r, id);
        if (job) {
                job->reload = true;
                job->not_before_us = 0;
                pthread_cond_signal(&r->wake);
        }
        pthread_mutex_unlock(&r->lock);
        if (!job)
                resume_one(r, id);
}

/* Counts the sagas that are not over, for the observer. */
static void take_census(struct saga_runner *r)
{
        struct checkout_app *app = r->app;
        struct checkout_census c;
        if (app->observer.ops &&
            app->store.ops->census(app->store.self, core_env_now_ms(&app->env), &c) == 0)
                app->observer.ops->census(app->observer.self, &c);
}

/* Claims and queues the unfinished sagas this process is not driving yet,
 * page by page until there are no more. */
static void resume_unfinished(struct saga_runner *r)
{
        struct checkout_app *app = r->app;
        char(*ids)[37] = calloc(SCAN_BATCH, sizeof(*ids));
        int64_t *seqs = calloc(SCAN_BATCH, sizeof(*seqs));
        int64_t after = 0;
        size_t n = SCAN_BATCH;
        while (ids && seqs && n == SCAN_BATCH && !__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
                if (app->store.ops->list_unfinished(app->store.self, app->cfg.owner, after, ids,
                                                    seqs, SCAN_BATCH, &n) < 0)
                        break;
                for (size_t i = 0; i < n; i++) {
                        after = seqs[i];
                        resume_one(r, ids[i]);
                }
        }
        free(ids);
        free(seqs);
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
                take_census(r);
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
        take_census(r);
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
