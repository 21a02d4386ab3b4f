/* MariaDB/MySQL adapter of the order store port. */
#pragma once

#include "db/db.h"
#include "order-ports.h"

struct order_store order_store_mysql(struct db_pool *pool);

extern const struct db_migration order_migrations[];
extern const size_t order_migrations_count;
