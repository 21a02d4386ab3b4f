/* Internal to libs/events: the consumer's state, shared by consumer.c (the
 * Kafka side: configuration, polling, offsets, statistics, lifecycle) and
 * consumer-apply.c (the database side: applying events idempotently,
 * parking what cannot be applied). */
#pragma once

#include "events/consumer.h"
#include "worker.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

enum { PERMANENT_ATTEMPTS = 3, CONSUMER_BATCH_MAX = 1000 };

struct events_consumer {
        struct db_pool *db;
        struct events_consumer_config cfg;
        char group_id[129];
        struct events_handler *handlers; /* a copy: `committed` defaults to a no-op */
        size_t n_handlers;
        rd_kafka_t *rk;
        pthread_t thread, housekeeping;
        bool started, housekeeping_started;
        struct events_stopper stop;
        rd_kafka_resp_err_t last_error; /* logged once until it changes */
        _Atomic int64_t lag;
        _Atomic uint64_t applied, duplicates, ignored, parked;
};

/* One attempt at one message: 0 when done with it (applied, skipped or
 * parked), a negative errno to try again. *attempts counts the failures
 * that are not transient (parked at PERMANENT_ATTEMPTS). */
int consumer_handle_one(struct events_consumer *c, const rd_kafka_message_t *m, int *attempts);
/* The fast path under a backlog: n messages applied in one transaction.
 * 0: all done (applied, skipped as duplicates or for want of a handler).
 * Anything else -- a malformed message, a failing handler, the database --
 * and nothing was applied: the caller takes them one at a time. */
int consumer_handle_batch(struct events_consumer *c, rd_kafka_message_t *const *m, size_t n);
