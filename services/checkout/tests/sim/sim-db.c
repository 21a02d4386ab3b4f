/* See sim-db.h. */
#include "sim-db.h"

#include "checkout-mysql.h"
#include "inventory-mysql.h"
#include "order-mysql.h"
#include "payment-mysql.h"

#include "../../../../tests/contract/contract-db.h"

#include <string.h>

const struct sim_db *sim_databases;

int sim_db_open(struct sim_db *db)
{
        memset(db, 0, sizeof(*db));
        if (contract_schema_open("bookstore_simo", order_migrations, order_migrations_count,
                                 db->schemas[0], &db->orders) < 0 ||
            contract_schema_open("bookstore_simp", payment_migrations, payment_migrations_count,
                                 db->schemas[1], &db->payments) < 0 ||
            contract_schema_open("bookstore_simi", inventory_migrations, inventory_migrations_count,
                                 db->schemas[2], &db->stock) < 0 ||
            contract_schema_open("bookstore_simc", checkout_migrations, checkout_migrations_count,
                                 db->schemas[3], &db->sagas) < 0)
                return -1;
        return 0;
}

enum { MAX_TABLES = 32 };

struct tables {
        char names[MAX_TABLES][65];
        size_t n;
};

static int table_row(const struct db_row *row, void *userdata)
{
        struct tables *t = userdata;
        if (t->n < MAX_TABLES)
                snprintf(t->names[t->n++], sizeof(t->names[0]), "%s", db_row_text(row, 0, NULL));
        return 0;
}

static int empty(struct db_pool *pool)
{
        struct tables t = {.n = 0};
        int r = db_pool_query(pool,
                              "SELECT table_name FROM information_schema.tables WHERE "
                              "table_schema = DATABASE() AND table_type = 'BASE TABLE' AND "
                              "table_name <> 'schema_migrations'",
                              NULL, 0, table_row, &t);
        for (size_t i = 0; i < t.n && r == 0; i++) {
                char sql[128];
                snprintf(sql, sizeof(sql), "DELETE FROM `%s`", t.names[i]);
                r = db_pool_exec(pool, sql, NULL, 0, NULL, NULL);
        }
        return r;
}

int sim_db_reset(struct sim_db *db)
{
        struct db_pool *pools[] = {db->orders, db->payments, db->stock, db->sagas};
        for (size_t i = 0; i < 4; i++)
                if (empty(pools[i]) < 0)
                        return -1;
        return 0;
}

void sim_db_close(struct sim_db *db)
{
        struct db_pool *pools[] = {db->orders, db->payments, db->stock, db->sagas};
        for (size_t i = 0; i < 4; i++)
                if (pools[i])
                        contract_schema_drop(pools[i], db->schemas[i]);
}
