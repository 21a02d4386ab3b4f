/* MariaDB/MySQL adapter of the catalog repository port. */
#pragma once

#include "catalog-ports.h"
#include "db/db.h"

struct catalog_repo catalog_repo_mysql(struct db_pool *pool);

/* from -> to on the caller's transaction, with its book.status_changed event
 * in the outbox; -ESTALE when the book is no longer in `from`. */
int catalog_mysql_change_status(struct db_conn *c, const char *id, enum catalog_status from,
                                enum catalog_status to, int64_t updated_at);

extern const struct db_migration catalog_migrations[];
extern const size_t catalog_migrations_count;
