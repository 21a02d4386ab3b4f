/* core/listing.h's filter in SQL, for the stores that serve those listings. */
#pragma once

#include "core/listing.h"
#include "db/db.h"

enum { DB_LISTING_MAX_VALUES = LISTING_MAX_IDS + 8 };

/* Appends " WHERE ... ORDER BY <key> LIMIT ?" for f to sql (a SELECT ...
 * FROM <table>), with its values appended to v (room for
 * DB_LISTING_MAX_VALUES; *n counts them). The columns are the table's key,
 * status and change time (seconds). -ENOSPC when sql is too short. */
int db_listing_sql(const struct listing_filter *f, const char *key_col, const char *status_col,
                   const char *updated_col, char *sql, size_t sql_len, struct db_value *v,
                   size_t *n);
