/* See worker.h. */
#include "worker.h"

#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <time.h>

void events_stopper_init(struct events_stopper *s)
{
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&s->wake, &attr);
        pthread_condattr_destroy(&attr);
        s->stopping = false;
}

void events_stopper_destroy(struct events_stopper *s)
{
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
}

void events_stopper_stop(struct events_stopper *s)
{
        pthread_mutex_lock(&s->lock);
        __atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&s->wake);
        pthread_mutex_unlock(&s->lock);
}

bool events_stopper_stopping(struct events_stopper *s)
{
        return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE);
}

bool events_stopper_pause(struct events_stopper *s, int ms)
{
        int64_t until_us = clock_monotonic_us() + (int64_t)ms * 1000;
        struct timespec ts = {.tv_sec = until_us / 1000000,
                              .tv_nsec = (long)(until_us % 1000000) * 1000};
        pthread_mutex_lock(&s->lock);
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT)
                ;
        bool stopping = s->stopping;
        pthread_mutex_unlock(&s->lock);
        return stopping;
}

void events_kafka_log(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
        log_msg(level <= 3   ? LOG_ERROR
                : level <= 5 ? LOG_WARN
                             : LOG_INFO,
                "kafka", "{s:s, s:s, s:s}", "client", rd_kafka_name(rk), "facility", facility,
                "message", buf);
}
