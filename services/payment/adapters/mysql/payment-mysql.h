/* MariaDB/MySQL adapter of the payment store port. */
#pragma once

#include "db/db.h"
#include "payment-ports.h"

struct payment_store payment_store_mysql(struct db_pool *pool);

extern const struct db_migration payment_migrations[];
extern const size_t payment_migrations_count;
