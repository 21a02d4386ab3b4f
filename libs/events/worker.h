/* Internal to libs/events: what the relay and the consumers share -- a
 * stoppable pause for their background thread, and librdkafka's log lines
 * turned into JSON log lines like every other. */
#pragma once

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdbool.h>

struct events_stopper {
        pthread_mutex_t lock;
        pthread_cond_t wake; /* on CLOCK_MONOTONIC */
        bool stopping;
};

void events_stopper_init(struct events_stopper *s);
void events_stopper_destroy(struct events_stopper *s);
/* Wakes a pause at once; every later pause returns true immediately. */
void events_stopper_stop(struct events_stopper *s);
bool events_stopper_stopping(struct events_stopper *s);
/* Sleeps ms unless stopped first; true when stopping. */
bool events_stopper_pause(struct events_stopper *s, int ms);

/* rd_kafka_conf_set_log_cb target. */
void events_kafka_log(const rd_kafka_t *rk, int level, const char *facility, const char *buf);
