/* The simulation on MariaDB: the order, payment, inventory and saga stores
 * of the world are the services' MariaDB adapters, each on a throwaway
 * schema of its own (scripts/deps.sh's server, tests/contract/contract-db.h),
 * emptied before every seed. Nothing else changes: the same seeds, faults
 * and checks as on the memory stores, so what only the real stores do
 * (encode, truncate, order, lock) is inside the proof. */
#pragma once

#include "db/db.h"

struct sim_db {
        struct db_pool *orders, *payments, *stock, *sagas;
        char schemas[4][64];
};

/* The databases the next worlds use; NULL: memory stores. */
extern const struct sim_db *sim_databases;

/* Creates and migrates the four schemas; -1 when MariaDB is not there. */
int sim_db_open(struct sim_db *db);
/* Deletes every row of every table (a fresh world). */
int sim_db_reset(struct sim_db *db);
void sim_db_close(struct sim_db *db);
