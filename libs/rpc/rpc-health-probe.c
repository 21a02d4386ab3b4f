/* Health probes: one thread runs every registered probe on its interval and
 * updates the health table; see rpc_server_add_health_probe(). */
#include "rpc-int.h"

#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rpc_health_probe {
        char *service;
        rpc_health_probe_fn probe;
        void *userdata;
        int interval_ms;
        int64_t next_ms;
        int last; /* -1 unknown, 0 failing, 1 healthy */
};

struct rpc_probes {
        struct rpc_health_probe *list;
        size_t n;
        pthread_t thread;
        bool running;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        bool stop;
};

int rpc_server_add_health_probe(struct rpc_server *s, const char *service,
                                rpc_health_probe_fn probe, void *userdata, int interval_ms)
{
        if (s->started || !s->health || interval_ms < 10)
                return -EINVAL;
        if (!s->probes) {
                s->probes = calloc(1, sizeof(*s->probes));
                if (!s->probes)
                        return -ENOMEM;
                pthread_mutex_init(&s->probes->lock, NULL);
                pthread_cond_init(&s->probes->wake, NULL);
        }
        struct rpc_probes *p = s->probes;
        struct rpc_health_probe *list = realloc(p->list, (p->n + 1) * sizeof(*list));
        if (!list)
                return -ENOMEM;
        p->list = list;
        char *name = strdup(service);
        if (!name)
                return -ENOMEM;
        p->list[p->n++] = (struct rpc_health_probe){.service = name,
                                                    .probe = probe,
                                                    .userdata = userdata,
                                                    .interval_ms = interval_ms,
                                                    .last = -1};
        return 0;
}

static void update_overall(struct rpc_server *s)
{
        bool all_ok = true;
        for (size_t i = 0; i < s->probes->n; i++)
                all_ok &= s->probes->list[i].last != 0;
        rpc_health_set(s, "", all_ok);
}

static void run_probe(struct rpc_server *s, struct rpc_health_probe *p)
{
        int r = p->probe(p->userdata);
        int now_ok = r == 0;
        if (now_ok != p->last) {
                if (now_ok)
                        log_msg(LOG_INFO,
                                p->last < 0 ? "dependency healthy: SERVING"
                                            : "dependency healthy again: SERVING",
                                "{s:s}", "service", p->service);
                else
                        log_msg(LOG_WARN, "dependency check failed: NOT_SERVING", "{s:s, s:i}",
                                "service", p->service, "error", r);
                p->last = now_ok;
                rpc_health_set(s, p->service, now_ok);
                update_overall(s);
        }
}

static void *probes_main(void *arg)
{
        struct rpc_server *s = arg;
        struct rpc_probes *pr = s->probes;
        pthread_mutex_lock(&pr->lock);
        while (!pr->stop) {
                int64_t now = clock_monotonic_ms(), next = INT64_MAX;
                for (size_t i = 0; i < pr->n; i++) {
                        struct rpc_health_probe *p = &pr->list[i];
                        if (now >= p->next_ms) {
                                pthread_mutex_unlock(&pr->lock); /* probes may block */
                                run_probe(s, p);
                                pthread_mutex_lock(&pr->lock);
                                p->next_ms = clock_monotonic_ms() + p->interval_ms;
                        }
                        if (p->next_ms < next)
                                next = p->next_ms;
                }
                if (pr->stop)
                        break;
                int64_t wait_ms = next - clock_monotonic_ms();
                if (wait_ms <= 0)
                        continue;
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += wait_ms / 1000;
                ts.tv_nsec += (wait_ms % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&pr->wake, &pr->lock, &ts);
        }
        pthread_mutex_unlock(&pr->lock);
        return NULL;
}

int rpc_health_probes_start(struct rpc_server *s)
{
        if (!s->probes)
                return 0;
        if (pthread_create(&s->probes->thread, NULL, probes_main, s) != 0)
                return -EAGAIN;
        s->probes->running = true;
        return 0;
}

void rpc_health_probes_stop(struct rpc_server *s)
{
        struct rpc_probes *pr = s->probes;
        if (!pr || !pr->running)
                return;
        pthread_mutex_lock(&pr->lock);
        pr->stop = true;
        pthread_cond_signal(&pr->wake);
        pthread_mutex_unlock(&pr->lock);
        pthread_join(pr->thread, NULL);
        pr->running = false;
}

void rpc_health_probes_free(struct rpc_probes *pr)
{
        if (!pr)
                return;
        for (size_t i = 0; i < pr->n; i++)
                free(pr->list[i].service);
        free(pr->list);
        pthread_mutex_destroy(&pr->lock);
        pthread_cond_destroy(&pr->wake);
        free(pr);
}
