/* Saga change notifications; see saga-hub.h. */
#include "saga-hub.h"

#include "core/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct saga_sub {
        struct saga_sub *next;
        char saga_id[37];
        uint64_t published, taken;
        struct checkout_saga *latest; /* allocated on the first publish */
        pthread_cond_t changed;
};

struct saga_hub {
        pthread_mutex_t lock;
        struct saga_sub *subs;
        bool closed;
};

int saga_hub_new(struct saga_hub **ret)
{
        struct saga_hub *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        pthread_mutex_init(&h->lock, NULL);
        *ret = h;
        return 0;
}

void saga_hub_free(struct saga_hub *h)
{
        if (!h)
                return;
        pthread_mutex_destroy(&h->lock);
        free(h);
}

void saga_hub_close(struct saga_hub *h)
{
        pthread_mutex_lock(&h->lock);
        h->closed = true;
        for (struct saga_sub *s = h->subs; s; s = s->next)
                pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&h->lock);
}

bool saga_hub_closed(struct saga_hub *h)
{
        pthread_mutex_lock(&h->lock);
        bool closed = h->closed;
        pthread_mutex_unlock(&h->lock);
        return closed;
}

void saga_hub_publish(struct saga_hub *h, const struct checkout_saga *s)
{
        pthread_mutex_lock(&h->lock);
        for (struct saga_sub *sub = h->subs; sub; sub = sub->next) {
                if (strcmp(sub->saga_id, s->id))
                        continue;
                if (!sub->latest && !(sub->latest = malloc(sizeof(*sub->latest))))
                        continue; /* the waiter falls back to reading the store */
                *sub->latest = *s;
                sub->published++;
                pthread_cond_broadcast(&sub->changed);
        }
        pthread_mutex_unlock(&h->lock);
}

struct saga_sub *saga_hub_subscribe(struct saga_hub *h, const char *saga_id)
{
        struct saga_sub *sub = calloc(1, sizeof(*sub));
        if (!sub)
                return NULL;
        strncpy(sub->saga_id, saga_id, sizeof(sub->saga_id) - 1);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&sub->changed, &attr);
        pthread_condattr_destroy(&attr);
        pthread_mutex_lock(&h->lock);
        sub->next = h->subs;
        h->subs = sub;
        pthread_mutex_unlock(&h->lock);
        return sub;
}

void saga_hub_unsubscribe(struct saga_hub *h, struct saga_sub *sub)
{
        if (!sub)
                return;
        pthread_mutex_lock(&h->lock);
        for (struct saga_sub **p = &h->subs; *p; p = &(*p)->next)
                if (*p == sub) {
                        *p = sub->next;
                        break;
                }
        pthread_mutex_unlock(&h->lock);
        pthread_cond_destroy(&sub->changed);
        free(sub->latest);
        free(sub);
}

bool saga_hub_wait(struct saga_hub *h, struct saga_sub *sub, int64_t timeout_ms,
                   struct checkout_saga *ret)
{
        int64_t until_us = clock_monotonic_us() + (timeout_ms > 0 ? timeout_ms : 0) * 1000;
        struct timespec until = {.tv_sec = until_us / 1000000,
                                 .tv_nsec = (long)(until_us % 1000000) * 1000};
        bool got = false;
        pthread_mutex_lock(&h->lock);
        while (!h->closed && sub->published == sub->taken &&
               pthread_cond_timedwait(&sub->changed, &h->lock, &until) != ETIMEDOUT)
                ;
        if (!h->closed && sub->published != sub->taken) {
                *ret = *sub->latest;
                sub->taken = sub->published;
                got = true;
        }
        pthread_mutex_unlock(&h->lock);
        return got;
}
