/* Shared by the tests that need a real MariaDB: a throwaway schema of their
 * own (named after the test and its pid), migrated, and dropped at the end.
 * Connection settings come from scripts/deps.sh's env file (contract-env.h). */
#pragma once

#include "contract-env.h"
#include "db/db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline int contract_exec(struct db_pool *p, const char *sql)
{
        return db_pool_exec(p, sql, NULL, 0, NULL, NULL);
}

/* Creates schema "<prefix><pid>" into schema[64], opens a pool on it and
 * applies the migrations. -1 on any failure. */
static inline int contract_schema_open(const char *prefix, const struct db_migration *migrations,
                                       size_t n, char schema[64], struct db_pool **ret_pool)
{
        struct db_config c = {
                .host = contract_env("BOOKSTORE_MYSQL_HOST"),
                .port = atoi(contract_env("BOOKSTORE_MYSQL_PORT")),
                .user = contract_env("BOOKSTORE_MYSQL_USER"),
                .password = contract_env("BOOKSTORE_MYSQL_PASSWORD"),
                .database = "bookstore_test",
                .pool_size = 4,
                .connect_timeout_s = 3,
                .io_timeout_s = 10,
                .acquire_timeout_ms = 2000,
        };
        struct db_pool *admin;
        char sql[128], err[256];
        int applied = 0;
        snprintf(schema, 64, "%s%d", prefix, (int)getpid());
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", schema);
        if (db_pool_new(&admin, &c) < 0 || contract_exec(admin, sql) < 0)
                return -1;
        db_pool_free(admin);
        c.database = schema;
        if (db_pool_new(ret_pool, &c) < 0 ||
            db_migrate(*ret_pool, migrations, n, &applied, err, sizeof(err)) < 0)
                return -1;
        return 0;
}

/* The first column of the first row of sql, with one text parameter (or
 * none: NULL); INT64_MIN when the query fails. */
static inline int64_t contract_scalar(struct db_pool *p, const char *sql, const char *text)
{
        struct db_value v = db_text(text);
        int64_t n = INT64_MIN;
        if (db_pool_query(p, sql, text ? &v : NULL, text ? 1 : 0, db_row_first_int64, &n) < 0)
                return INT64_MIN;
        return n;
}

static inline void contract_schema_drop(struct db_pool *pool, const char *schema)
{
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE %s", schema);
        contract_exec(pool, sql);
        db_pool_free(pool);
}
