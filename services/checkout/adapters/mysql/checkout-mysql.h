/* MariaDB/MySQL adapters of the saga store and the divergence store. */
#pragma once

#include "checkout-ports.h"
#include "db/db.h"

struct checkout_store checkout_store_mysql(struct db_pool *pool);
struct checkout_divergence_store checkout_divergences_mysql(struct db_pool *pool);

extern const struct db_migration checkout_migrations[];
extern const size_t checkout_migrations_count;
