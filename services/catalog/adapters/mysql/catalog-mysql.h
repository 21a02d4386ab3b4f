/* MariaDB/MySQL adapter of the catalog repository port. */
#pragma once

#include "catalog-ports.h"
#include "db/db.h"

struct catalog_repo catalog_repo_mysql(struct db_pool *pool);

extern const struct db_migration catalog_migrations[];
extern const size_t catalog_migrations_count;
