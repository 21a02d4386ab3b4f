/* MariaDB/MySQL adapter of the inventory store port. */
#pragma once

#include "db/db.h"
#include "inventory-ports.h"

struct inventory_store inventory_store_mysql(struct db_pool *pool);

extern const struct db_migration inventory_migrations[];
extern const size_t inventory_migrations_count;
