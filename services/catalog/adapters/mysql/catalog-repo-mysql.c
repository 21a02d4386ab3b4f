/* Books and categories in MariaDB; see catalog-mysql.h. Listing SQL is put
 * together from constant fragments only: every value is a bound parameter. */
#include "catalog-mysql.h"

#include "catalog-events.h"
#include "core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOK_COLUMNS                                                                               \
        "seq, id, title, authors, isbn13, description, category_id, price_currency, "              \
        "price_units, price_nanos, status, seller_id, created_at, updated_at, rating_count, "      \
        "rating_1, rating_2, rating_3, rating_4, rating_5, rating_version"

struct book_rows {
        struct catalog_book *out;
        size_t cap, n;
};

static void text(const struct db_row *row, size_t col, char *out, size_t len)
{
        snprintf(out, len, "%s", db_row_text(row, col, NULL));
}

static int book_row_cb(const struct db_row *row, void *userdata)
{
        struct book_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        struct catalog_book *b = &rows->out[rows->n++];
        b->seq = db_row_int64(row, 0);
        text(row, 1, b->id, sizeof(b->id));
        text(row, 2, b->title, sizeof(b->title));
        text(row, 3, b->authors, sizeof(b->authors));
        text(row, 4, b->isbn13, sizeof(b->isbn13));
        text(row, 5, b->description, sizeof(b->description));
        text(row, 6, b->category_id, sizeof(b->category_id));
        text(row, 7, b->price.currency, sizeof(b->price.currency));
        b->price.units = db_row_int64(row, 8);
        b->price.nanos = (int32_t)db_row_int64(row, 9);
        b->status = (enum catalog_status)db_row_int64(row, 10);
        text(row, 11, b->seller_id, sizeof(b->seller_id));
        b->created_at = db_row_int64(row, 12);
        b->updated_at = db_row_int64(row, 13);
        b->rating.count = db_row_int64(row, 14);
        for (size_t i = 0; i < RATING_STARS; i++)
                b->rating.stars[i] = db_row_int64(row, 15 + i);
        b->rating.version = db_row_int64(row, 20);
        return 0;
}

/* Each write and its event go in one transaction (the outbox). */
static int append(struct db_conn *c, int built, const struct events_record *rec)
{
        return built <= 0 ? built : events_outbox_append(c, rec);
}

static int create_change(struct db_conn *c, void *arg)
{
        const struct catalog_book *b = arg;
        struct db_value p[] = {db_text(b->id),
                               db_text(b->title),
                               db_text(b->authors),
                               db_text(b->isbn13),
                               db_text(b->description),
                               db_text(b->category_id),
                               db_text(b->price.currency),
                               db_int(b->price.units),
                               db_int(b->price.nanos),
                               db_int(b->status),
                               db_text(b->seller_id),
                               db_int(b->created_at),
                               db_int(b->updated_at)};
        int r = db_exec(c,
                        "INSERT INTO books (id, title, authors, isbn13, description, "
                        "category_id, price_currency, price_units, price_nanos, status, "
                        "seller_id, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        p, 13, NULL, NULL);
        uint8_t buf[CATALOG_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        return r < 0 ? r
                     : append(c, catalog_event_created(b, clock_realtime_ms(), buf, event_id, &rec),
                              &rec);
}

static int repo_create_book(void *self, const struct catalog_book *b)
{
        return db_pool_in_transaction(self, create_change, (void *)b);
}

static int repo_get_book(void *self, const char *id, struct catalog_book *ret)
{
        struct book_rows rows = {.out = ret, .cap = 1};
        struct db_value v = db_text(id);
        int r = db_pool_query(self, "SELECT " BOOK_COLUMNS " FROM books WHERE id = ?", &v, 1,
                              book_row_cb, &rows);
        return r < 0 ? r : rows.n ? 0 : -ENOENT;
}

static int update_change(struct db_conn *c, void *arg)
{
        const struct catalog_book *b = arg;
        struct catalog_book *old = malloc(sizeof(*old));
        struct book_rows rows = {.out = old, .cap = 1};
        struct db_value key = db_text(b->id);
        int r = old ? db_query(c, "SELECT " BOOK_COLUMNS " FROM books WHERE id = ? FOR UPDATE",
                               &key, 1, book_row_cb, &rows)
                    : -ENOMEM;
        if (r == 0 && rows.n == 0)
                r = -ENOENT;
        struct db_value p[] = {
                db_text(b->title),       db_text(b->authors),        db_text(b->description),
                db_text(b->category_id), db_text(b->price.currency), db_int(b->price.units),
                db_int(b->price.nanos),  db_int(b->updated_at),      db_text(b->id)};
        if (r == 0)
                r = db_exec(c,
                            "UPDATE books SET title = ?, authors = ?, description = ?, "
                            "category_id = ?, price_currency = ?, price_units = ?, "
                            "price_nanos = ?, updated_at = ? WHERE id = ?",
                            p, 9, NULL, NULL);
        const char *changed[5];
        size_t n = 0;
        if (r == 0) { /* the event names what really changed */
                if (strcmp(old->title, b->title))
                        changed[n++] = "title";
                if (strcmp(old->authors, b->authors))
                        changed[n++] = "authors";
                if (strcmp(old->description, b->description))
                        changed[n++] = "description";
                if (strcmp(old->category_id, b->category_id))
                        changed[n++] = "category_id";
                if (strcmp(old->price.currency, b->price.currency) ||
                    old->price.units != b->price.units || old->price.nanos != b->price.nanos)
                        changed[n++] = "price";
        }
        free(old);
        uint8_t buf[CATALOG_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        if (r < 0 || n == 0)
                return r;
        return append(
                c,
                catalog_event_updated(b->id, changed, n, clock_realtime_ms(), buf, event_id, &rec),
                &rec);
}

static int repo_update_book(void *self, const struct catalog_book *b)
{
        return db_pool_in_transaction(self, update_change, (void *)b);
}

struct status_change {
        const char *id;
        enum catalog_status from, to;
        int64_t updated_at;
};

static int status_change(struct db_conn *c, void *arg)
{
        const struct status_change *s = arg;
        return catalog_mysql_change_status(c, s->id, s->from, s->to, s->updated_at);
}

int catalog_mysql_change_status(struct db_conn *c, const char *id, enum catalog_status from,
                                enum catalog_status to, int64_t updated_at)
{
        struct db_value p[] = {db_int(to), db_int(updated_at), db_text(id), db_int(from)};
        uint64_t affected = 0;
        int r = db_exec(c,
                        "UPDATE books SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                        p, 4, &affected, NULL);
        if (r < 0)
                return r;
        if (affected != 1)
                return -ESTALE;
        uint8_t buf[CATALOG_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        return append(c,
                      catalog_event_status(id, from, to, clock_realtime_ms(), buf, event_id, &rec),
                      &rec);
}

static int repo_set_status(void *self, const char *id, enum catalog_status from,
                           enum catalog_status to, int64_t updated_at)
{
        struct status_change c = {id, from, to, updated_at};
        return db_pool_in_transaction(self, status_change, &c);
}

/* LIKE pattern matching `s` literally somewhere: %, _ and \ escaped. */
static char *like_pattern(const char *s)
{
        size_t n = strlen(s);
        char *p = malloc(2 * n + 3), *o = p;
        if (!p)
                return NULL;
        *o++ = '%';
        for (; *s; s++) {
                if (*s == '%' || *s == '_' || *s == '\\')
                        *o++ = '\\';
                *o++ = *s;
        }
        *o++ = '%';
        *o = '\0';
        return p;
}

static int repo_list_books(void *self, const struct catalog_book_query *q, struct catalog_book *ret,
                           size_t *ret_n)
{
        char sql[1024], statuses[16] = "";
        for (int s = BOOK_REGISTERED; s <= BOOK_UNLISTED; s++)
                if (q->visible_statuses & 1u << s)
                        snprintf(statuses + strlen(statuses), sizeof(statuses) - strlen(statuses),
                                 "%s%d", statuses[0] ? "," : "", s);
        if (!statuses[0])
                strcpy(statuses, "0");
        struct db_value p[8];
        size_t n = 0;
        char *text_like = NULL, *author_like = NULL;
        int len = snprintf(sql, sizeof(sql),
                           "SELECT " BOOK_COLUMNS " FROM books WHERE seq > ? AND "
                           "(status IN (%s) OR seller_id = ?)",
                           statuses);
        p[n++] = db_int(q->after_seq);
        p[n++] = db_text(q->owner_id ? q->owner_id : "");
        if (q->category_id && *q->category_id) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND category_id = ?");
                p[n++] = db_text(q->category_id);
        }
        if (q->status) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND status = ?");
                p[n++] = db_int(q->status);
        }
        if (q->author && *q->author) {
                /* an exact name among the U+001F-separated authors */
                len += snprintf(sql + len, sizeof(sql) - (size_t)len,
                                " AND CONCAT(X'1F', authors, X'1F') LIKE CONCAT('%%', X'1F', ?, "
                                "X'1F', '%%')");
                author_like = like_pattern(q->author);
                if (!author_like)
                        return -ENOMEM;
                author_like[strlen(author_like) - 1] = '\0'; /* no wildcards around the name */
                p[n++] = db_text(author_like + 1);
        }
        if (q->text && *q->text) {
                len += snprintf(sql + len, sizeof(sql) - (size_t)len,
                                " AND (title LIKE ? OR authors LIKE ?)");
                text_like = like_pattern(q->text);
                if (!text_like) {
                        free(author_like);
                        return -ENOMEM;
                }
                p[n++] = db_text(text_like);
                p[n++] = db_text(text_like);
        }
        snprintf(sql + len, sizeof(sql) - (size_t)len, " ORDER BY seq LIMIT ?");
        p[n++] = db_int((int64_t)q->limit);
        struct book_rows rows = {.out = ret, .cap = q->limit};
        int r = db_pool_query(self, sql, p, n, book_row_cb, &rows);
        free(text_like);
        free(author_like);
        if (r == 0)
                *ret_n = rows.n;
        return r;
}

static int repo_create_category(void *self, const struct catalog_category *c)
{
        struct db_value p[] = {db_text(c->id), db_text(c->name)};
        return db_pool_exec(self,
                            "INSERT INTO categories (id, name, created_at) VALUES (?, ?, "
                            "UNIX_TIMESTAMP())",
                            p, 2, NULL, NULL);
}

struct category_rows {
        struct catalog_category *out;
        size_t cap, n;
};

static int category_row_cb(const struct db_row *row, void *userdata)
{
        struct category_rows *rows = userdata;
        if (rows->n < rows->cap) {
                text(row, 0, rows->out[rows->n].id, sizeof(rows->out[rows->n].id));
                text(row, 1, rows->out[rows->n].name, sizeof(rows->out[rows->n].name));
                rows->n++;
        }
        return 0;
}

static int repo_list_categories(void *self, struct catalog_category *ret, size_t cap, size_t *ret_n)
{
        struct category_rows rows = {.out = ret, .cap = cap};
        struct db_value limit = db_int((int64_t)cap);
        int r = db_pool_query(self, "SELECT id, name FROM categories ORDER BY name LIMIT ?", &limit,
                              1, category_row_cb, &rows);
        if (r == 0)
                *ret_n = rows.n;
        return r;
}

static int repo_category_exists(void *self, const char *id, bool *ret_exists)
{
        struct db_value v = db_text(id);
        *ret_exists = false;
        return db_pool_query(self, "SELECT 1 FROM categories WHERE id = ?", &v, 1, db_row_found,
                             ret_exists);
}

/* visible_statuses is a bit set: (bits >> status) & 1 */
#define BEST_SELLERS_SQL(filter)                                                                   \
        "SELECT s.book_id, b.title, s.units_sold, s.revenue_currency, s.revenue_units, "           \
        "s.revenue_nanos FROM book_sales s JOIN books b ON b.id = s.book_id "                      \
        "WHERE s.units_sold > 0 AND (? >> b.status) & 1 " filter                                   \
        " ORDER BY s.units_sold DESC, s.book_id LIMIT ?"

struct best_rows {
        struct catalog_best_seller *out;
        size_t cap, n;
};

static int best_row_cb(const struct db_row *row, void *userdata)
{
        struct best_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        struct catalog_best_seller *b = &rows->out[rows->n++];
        text(row, 0, b->book_id, sizeof(b->book_id));
        text(row, 1, b->title, sizeof(b->title));
        b->sales.units = db_row_int64(row, 2);
        text(row, 3, b->sales.revenue.currency, sizeof(b->sales.revenue.currency));
        b->sales.revenue.units = db_row_int64(row, 4);
        b->sales.revenue.nanos = (int32_t)db_row_int64(row, 5);
        return 0;
}

static int repo_list_best_sellers(void *self, const char *category_id, unsigned visible_statuses,
                                  size_t limit, struct catalog_best_seller *ret, size_t *ret_n)
{
        bool by_category = category_id && *category_id;
        struct db_value p[3] = {db_int(visible_statuses)};
        size_t n = 1;
        if (by_category)
                p[n++] = db_text(category_id);
        p[n++] = db_int((int64_t)limit);
        struct best_rows rows = {.out = ret, .cap = limit};
        int r = db_pool_query(self,
                              by_category ? BEST_SELLERS_SQL("AND b.category_id = ?")
                                          : BEST_SELLERS_SQL(""),
                              p, n, best_row_cb, &rows);
        *ret_n = rows.n;
        return r;
}

static const struct catalog_repo_ops repo_mysql_ops = {
        .create_book = repo_create_book,
        .get_book = repo_get_book,
        .update_book = repo_update_book,
        .set_status = repo_set_status,
        .list_books = repo_list_books,
        .create_category = repo_create_category,
        .list_categories = repo_list_categories,
        .category_exists = repo_category_exists,
        .list_best_sellers = repo_list_best_sellers,
};

struct catalog_repo catalog_repo_mysql(struct db_pool *pool)
{
        return (struct catalog_repo){.ops = &repo_mysql_ops, .self = pool};
}
