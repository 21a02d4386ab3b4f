/* Idempotent event consumers on Kafka consumer groups.
 *
 * One thread per consumer polls its topics, decodes each message into an
 * EventEnvelope (events_envelope_decode) and runs the handler registered for
 * its type inside a MariaDB transaction that also records (group, event_id)
 * in processed_events: the effect and the "seen" mark commit together, so an
 * event redelivered after a crash or a rebalance is recognised and skipped.
 * Under a backlog the events already fetched share one transaction (a
 * failure rolls it back and they are taken one at a time).
 * Only then is the message's offset stored; librdkafka commits stored offsets
 * every second and when the consumer leaves the group. A restarted consumer
 * resumes from the committed offsets: at least once from Kafka, exactly once
 * in effect.
 *
 * Messages that cannot be applied -- undecodable, or refused by their handler
 * -- are logged and parked in parked_events (with their bytes, topic,
 * partition and offset) and the consumer moves on. Database outages are
 * retried without moving on, so nothing is skipped because MariaDB was down.
 *
 * A consuming service embeds libs/events/migrations/9001_events_consumer.sql
 * (events_consumer_sql in meson) with its own migrations. */
#pragma once

#include "bookstore/events/v1/events.pb-c.h"
#include "db/db.h"

#include <stddef.h>
#include <stdint.h>

/* Applies one event on conn (inside the consumer's transaction). 0: applied,
 * or nothing to do. Negative errno: -EDEADLK, -ETIMEDOUT, -ECONNRESET,
 * -ECONNREFUSED, -EAGAIN are retried until they succeed; anything else is
 * retried twice more, then the event is parked with `why` (if set) as reason. */
typedef int (*events_handler_fn)(struct db_conn *conn,
                                 const Bookstore__Events__V1__EventEnvelope *event, void *userdata,
                                 char *why, size_t why_len);

struct events_handler {
        const char *type; /* e.g. "stock.depleted" */
        events_handler_fn fn;
        /* optional (NULL: nothing): runs once fn's transaction has committed (e.g. to drop a
         * cache entry the change made stale) */
        void (*committed)(const Bookstore__Events__V1__EventEnvelope *event, void *userdata);
        void *userdata;
};

struct events_consumer_config {
        const char *brokers;
        const char *group_id; /* also the consumer's name in processed_events */
        int session_timeout_ms;
        int retry_pause_ms; /* between attempts at an event while the database fails */
        int stats_interval_ms;
        int commit_interval_ms; /* how often stored offsets are committed */
        /* processed_events rows older than this are deleted (Kafka redelivers
         * only what was not committed: seconds, not days) */
        int64_t dedup_retention_ms;
        int64_t prune_interval_ms;
        /* under a backlog, up to this many fetched events are applied in one
         * transaction (one at a time again if any of them fails) */
        int batch;
};

/* KAFKA_BROKERS, BOOKSTORE_CONSUMER_GROUP (default default_group),
 * BOOKSTORE_CONSUMER_SESSION_TIMEOUT_MS, BOOKSTORE_CONSUMER_RETRY_MS,
 * BOOKSTORE_CONSUMER_STATS_MS, BOOKSTORE_CONSUMER_COMMIT_MS,
 * BOOKSTORE_CONSUMER_DEDUP_RETENTION_MS, BOOKSTORE_CONSUMER_PRUNE_INTERVAL_MS,
 * BOOKSTORE_CONSUMER_BATCH. -EINVAL with a message naming the variable. */
int events_consumer_config_from_env(struct events_consumer_config *cfg, const char *default_group,
                                    char *err, size_t err_len);

struct events_consumer;

/* Subscribes to topics and starts the thread. handlers (and topics) must
 * outlive the consumer. Types without a handler are skipped. */
int events_consumer_start(struct events_consumer **ret, struct db_pool *db,
                          const struct events_consumer_config *cfg, const char *const *topics,
                          size_t n_topics, const struct events_handler *handlers, size_t n_handlers,
                          char *err, size_t err_len);
/* Finishes the event in hand (or leaves it for redelivery when its
 * transaction has not committed), commits the stored offsets and leaves the
 * group. */
void events_consumer_stop(struct events_consumer *c);

struct events_consumer_stats {
        const char *group_id;
        int64_t lag;         /* messages on the assigned partitions not yet processed; -1 unknown */
        uint64_t applied;    /* handled and committed */
        uint64_t duplicates; /* already in processed_events: skipped */
        uint64_t ignored;    /* no handler for the type */
        uint64_t parked;     /* malformed or refused: parked */
};
void events_consumer_stats(struct events_consumer *c, struct events_consumer_stats *ret);
