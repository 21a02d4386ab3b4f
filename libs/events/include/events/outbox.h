/* libs/events: the transactional outbox and its relay to Kafka.
 *
 * A service appends each domain event to its `outbox` table in the same
 * MariaDB transaction as the state change the event describes, so an event
 * exists exactly when its change does. The relay (events/relay.h) publishes
 * the rows in order and marks them sent once Kafka has acknowledged them.
 * The library stores bytes: the service serializes its EventEnvelope. */
#pragma once

#include "db/db.h"

#include <stddef.h>
#include <stdint.h>

/* The outbox table is libs/events/migrations/9000_events_outbox.sql: a
 * publishing service embeds it with its own migrations (events_outbox_sql in
 * meson; its version sorts after the service's own). For tests it is also
 * compiled in as events_migrations[]. */
extern const struct db_migration events_migrations[];
extern const size_t events_migrations_count;

struct events_record {
        const char *event_id; /* unique; consumers de-duplicate on it */
        const char *topic;    /* e.g. "bookstore.order" */
        const char *key;      /* the aggregate id: one aggregate's events stay in order */
        const void *value;    /* the serialized envelope */
        size_t value_len;
        int64_t created_ms;
};

/* Appends to the outbox within the caller's transaction on conn. */
int events_outbox_append(struct db_conn *conn, const struct events_record *r);
