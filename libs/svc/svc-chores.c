/* Retention's chores of a service; see svc.h (svc_add_retention). One
 * thread runs them all, every BOOKSTORE_RETENTION_INTERVAL_MS, and stops
 * with the service. */
#include "svc-int.h"

#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_CHORES = 8 };

struct svc_chores {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t thread;
        bool stopping;
        struct {
                const char *name;
                int64_t interval_ms, next_ms;
                int (*run)(void *ctx);
                void *ctx;
        } chores[MAX_CHORES];
        size_t n;
};

static void *chores_main(void *arg)
{
        struct svc_chores *c = arg;
        pthread_mutex_lock(&c->lock);
        while (!c->stopping) {
                int64_t now = clock_monotonic_ms(), next = INT64_MAX;
                for (size_t i = 0; i < c->n && !c->stopping; i++) {
                        if (c->chores[i].next_ms <= now) {
                                c->chores[i].next_ms = now + c->chores[i].interval_ms;
                                pthread_mutex_unlock(&c->lock); /* svc_free may wait meanwhile */
                                int r = c->chores[i].run(c->chores[i].ctx);
                                if (r < 0)
                                        log_msg(LOG_WARN, "chore failed; tried again next time",
                                                "{s:s, s:s}", "chore", c->chores[i].name, "error",
                                                strerror(-r));
                                pthread_mutex_lock(&c->lock);
                        }
                        if (c->chores[i].next_ms < next)
                                next = c->chores[i].next_ms;
                }
                if (c->stopping || next == INT64_MAX)
                        break;
                struct timespec ts = {.tv_sec = next / 1000,
                                      .tv_nsec = (long)(next % 1000) * 1000000};
                pthread_cond_timedwait(&c->wake, &c->lock, &ts);
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

int svc_add_retention(struct svc *s, const char *name, int (*run)(void *ctx), void *ctx)
{
        int64_t interval_ms = s->retention_interval_ms;
        if (interval_ms <= 0)
                return 0; /* switched off */
        struct svc_chores *c = s->chores;
        if (!c) {
                if (!(c = calloc(1, sizeof(*c))))
                        return -ENOMEM;
                pthread_mutex_init(&c->lock, NULL);
                pthread_condattr_t attr;
                pthread_condattr_init(&attr);
                pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
                pthread_cond_init(&c->wake, &attr);
                pthread_condattr_destroy(&attr);
                s->chores = c;
        }
        pthread_mutex_lock(&c->lock);
        int r = c->n == MAX_CHORES ? -ENOSPC : 0;
        if (r == 0) {
                c->chores[c->n].name = name;
                c->chores[c->n].interval_ms = interval_ms;
                c->chores[c->n].next_ms = clock_monotonic_ms() + interval_ms;
                c->chores[c->n].run = run;
                c->chores[c->n].ctx = ctx;
                if (c->n++ == 0 && pthread_create(&c->thread, NULL, chores_main, c)) {
                        c->n = 0;
                        r = -EAGAIN;
                }
                pthread_cond_signal(&c->wake);
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

void svc_chores_stop(struct svc *s)
{
        struct svc_chores *c = s->chores;
        if (!c)
                return;
        pthread_mutex_lock(&c->lock);
        c->stopping = true;
        bool started = c->n > 0;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        if (started)
                pthread_join(c->thread, NULL);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
        s->chores = NULL;
}
