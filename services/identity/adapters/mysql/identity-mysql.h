/* MariaDB/MySQL adapters of the identity storage ports. */
#pragma once

#include "db/db.h"
#include "identity-store.h"

struct identity_user_repo identity_users_mysql(struct db_pool *pool);
struct identity_refresh_store identity_refresh_mysql(struct db_pool *pool);

/* The schema, embedded from adapters/mysql/migrations/ at build time. */
extern const struct db_migration identity_migrations[];
extern const size_t identity_migrations_count;
