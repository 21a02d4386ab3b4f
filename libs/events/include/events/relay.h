/* The outbox relay: one thread that publishes unsent outbox rows in order,
 * keyed by aggregate id, with librdkafka's idempotent producer (acks=all,
 * gapless), marks them sent only after the delivery report, keeps retrying
 * while the brokers are unreachable, and prunes sent rows after a retention
 * period. Delivery is at least once (a report lost with the connection means
 * a resend); consumers de-duplicate by event id.
 *
 * Order per key: a row that does not go out holds back every later row of
 * its key until it does. Replicas: every replica runs a relay, and only the
 * holder of the outbox lease (a row on the database's clock, renewed each
 * round, handed over on a clean stop, taken over when it expires) publishes,
 * so a row is published by one replica and keys stay in order. */
#pragma once

#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

struct events_relay_config {
        const char *brokers;        /* bootstrap servers, e.g. KAFKA_BROKERS */
        int batch;                  /* rows per round */
        int idle_poll_ms;           /* how often an empty outbox is looked at */
        int64_t retention_ms;       /* sent rows older than this are deleted */
        int64_t prune_interval_ms;  /* how often */
        int64_t message_timeout_ms; /* one delivery attempt's limit before a retry round */
        int64_t lease_ms;           /* the outbox lease: only its holder publishes; longer than
                                       message_timeout_ms, so a round ends inside it */
};

/* Defaults, then KAFKA_BROKERS and BOOKSTORE_OUTBOX_* from the environment;
 * -EINVAL with a message naming the variable. */
int events_relay_config_from_env(struct events_relay_config *cfg, char *err, size_t err_len);

struct events_relay;

int events_relay_start(struct events_relay **ret, struct db_pool *db,
                       const struct events_relay_config *cfg, char *err, size_t err_len);
/* Stops after the round in flight; what is unsent stays for the next start. */
void events_relay_stop(struct events_relay *r);

struct events_relay_stats {
        int64_t backlog;          /* rows not yet sent, at the last round */
        int64_t oldest_unsent_ms; /* age of the oldest of them (relay lag), 0 when none */
        uint64_t published;       /* rows acknowledged by Kafka since start */
        uint64_t failed_rounds;   /* rounds that ended with a delivery error */
        bool leader;              /* this replica holds the outbox lease (publishes) */
};
void events_relay_stats(struct events_relay *r, struct events_relay_stats *ret);
