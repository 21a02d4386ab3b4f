/* The review store on MariaDB (libs/db): every change, its book's summary
 * and its review.* event (libs/events outbox) in one transaction. */
#pragma once

#include "db/db.h"
#include "review-ports.h"

extern const struct db_migration review_migrations[];
extern const size_t review_migrations_count;

struct review_store review_store_mysql(struct db_pool *pool);

/* Appends the change's event, carrying the book's summary after it, to the
 * outbox on conn (review-events.c). */
int review_append_event(struct db_conn *conn, enum review_change change, const struct review *r,
                        const struct rating_summary *s);
