/* See db/listing.h. */
#include "db/listing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int append(char *sql, size_t len, const char *fmt, const char *col)
{
        size_t used = strlen(sql);
        int n = snprintf(sql + used, len - used, fmt, col);
        return n < 0 || (size_t)n >= len - used ? -ENOSPC : 0;
}

int db_listing_sql(const struct listing_filter *f, const char *key_col, const char *status_col,
                   const char *updated_col, char *sql, size_t sql_len, struct db_value *v,
                   size_t *n)
{
        int r = append(sql, sql_len, " WHERE %s > ?", key_col);
        v[(*n)++] = db_text(f->after);
        if (r == 0 && f->status) {
                r = append(sql, sql_len, " AND %s = ?", status_col);
                v[(*n)++] = db_int(f->status);
        }
        if (r == 0 && f->updated_since_s) {
                r = append(sql, sql_len, " AND %s >= ?", updated_col);
                v[(*n)++] = db_int(f->updated_since_s);
        }
        if (r == 0 && f->n_ids) {
                r = append(sql, sql_len, " AND %s IN (", key_col);
                for (size_t i = 0; r == 0 && i < f->n_ids; i++) {
                        r = append(sql, sql_len, i ? ", ?" : "?", "");
                        v[(*n)++] = db_text(f->ids[i]);
                }
                if (r == 0)
                        r = append(sql, sql_len, ")", "");
        }
        if (r == 0)
                r = append(sql, sql_len, " ORDER BY %s LIMIT ?", key_col);
        v[(*n)++] = db_int((int64_t)f->limit);
        return r;
}
