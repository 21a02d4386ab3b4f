/* See catalog-projections.h. */
#include "catalog-projections.h"

#include "catalog-mysql.h"
#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *const catalog_consumed_topics[] = {"bookstore.stock", "bookstore.order",
                                               "bookstore.review"};
const size_t catalog_n_consumed_topics =
        sizeof(catalog_consumed_topics) / sizeof(catalog_consumed_topics[0]);

static bool id_ok(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && n <= 64;
}

/* ---- stock -> book status ---------------------------------------------- */

static int status_cb(const struct db_row *row, void *userdata)
{
        *(enum catalog_status *)userdata = (enum catalog_status)db_row_int64(row, 0);
        return 0;
}

/* The book a stock or review event is about (the consumer checked that the
 * payload matches the type). */
static const char *event_book_id(const Bookstore__Events__V1__EventEnvelope *e)
{
        switch (e->payload_case) {
        case BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_DEPLETED:
                return e->stock_depleted->book_id;
        case BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_REPLENISHED:
                return e->stock_replenished->book_id;
        default:
                return e->review_changed->book_id;
        }
}

static int on_stock(struct db_conn *conn, const Bookstore__Events__V1__EventEnvelope *e,
                    void *userdata, char *why, size_t why_len)
{
        (void)userdata;
        const char *book_id = event_book_id(e);
        if (!id_ok(book_id)) {
                snprintf(why, why_len, "book_id must be 1 to 64 characters");
                return -EINVAL;
        }
        enum catalog_status current = 0;
        struct db_value v = db_text(book_id);
        int r = db_query(conn, "SELECT status FROM books WHERE id = ? FOR UPDATE", &v, 1, status_cb,
                         &current);
        if (r < 0 || !current)
                return r; /* stock of a book this catalog does not have: nothing to do */
        bool available =
                e->payload_case == BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_REPLENISHED;
        enum catalog_status to = catalog_status_for_stock(current, available);
        if (!to)
                return 0;
        log_msg(LOG_INFO, "book status follows its stock", "{s:s, s:s, s:s}", "book_id", book_id,
                "from", catalog_status_name(current), "to", catalog_status_name(to));
        return catalog_mysql_change_status(conn, book_id, current, to, time(NULL));
}

static void drop_cached_book(const Bookstore__Events__V1__EventEnvelope *e, void *userdata)
{
        struct catalog_projections *ctx = userdata;
        ctx->cache.ops->invalidate(ctx->cache.self,
                                   event_book_id(e)); /* best effort; TTL bounds it */
}

/* ---- reviews -> the book's rating summary ------------------------------ */

static int check_summary(const Bookstore__Events__V1__ReviewChanged *r, char *why, size_t why_len)
{
        const Bookstore__Common__V1__RatingSummary *s = r->summary;
        int64_t sum = 0;
        bool ok = id_ok(r->book_id) && s && s->n_histogram == RATING_STARS &&
                  r->summary_version > 0 && s->count >= 0;
        for (size_t i = 0; ok && i < RATING_STARS; i++) {
                ok = s->histogram[i] >= 0;
                sum += s->histogram[i];
        }
        if (ok && sum == s->count)
                return 0;
        snprintf(why, why_len,
                 "a review event needs a book_id (1 to 64 characters), a summary_version > 0 and "
                 "a summary of five non-negative counts adding up to its count");
        return -EINVAL;
}

static int on_review(struct db_conn *conn, const Bookstore__Events__V1__EventEnvelope *e,
                     void *userdata, char *why, size_t why_len)
{
        (void)userdata;
        const Bookstore__Events__V1__ReviewChanged *r = e->review_changed;
        int rc = check_summary(r, why, why_len);
        if (rc < 0)
                return rc;
        const int64_t *h = r->summary->histogram;
        /* only a newer summary replaces the one kept: a duplicate or an
         * event overtaken by a later one changes nothing */
        struct db_value v[] = {db_int(r->summary->count),
                               db_int(h[0]),
                               db_int(h[1]),
                               db_int(h[2]),
                               db_int(h[3]),
                               db_int(h[4]),
                               db_int(r->summary_version),
                               db_text(r->book_id),
                               db_int(r->summary_version)};
        return db_exec(conn,
                       "UPDATE books SET rating_count = ?, rating_1 = ?, rating_2 = ?, "
                       "rating_3 = ?, rating_4 = ?, rating_5 = ?, rating_version = ? "
                       "WHERE id = ? AND rating_version < ?",
                       v, 9, NULL, NULL);
}

/* ---- orders -> sales statistics ---------------------------------------- */

static int order_state_cb(const struct db_row *row, void *userdata)
{
        *(enum catalog_sales_order *)userdata = (enum catalog_sales_order)db_row_int64(row, 0);
        return 0;
}

struct sales_row {
        struct catalog_sales s;
        bool found;
};

static int sales_cb(const struct db_row *row, void *userdata)
{
        struct sales_row *r = userdata;
        r->s.units = db_row_int64(row, 0);
        snprintf(r->s.revenue.currency, sizeof(r->s.revenue.currency), "%s",
                 db_row_text(row, 1, NULL));
        r->s.revenue.units = db_row_int64(row, 2);
        r->s.revenue.nanos = (int32_t)db_row_int64(row, 3);
        r->found = true;
        return 0;
}

static int check_line(const Bookstore__Events__V1__OrderLine *l, char *why, size_t why_len)
{
        const Bookstore__Common__V1__Money *p = l->unit_price;
        if (!id_ok(l->book_id) || l->quantity <= 0 || !p || strlen(p->currency_code) != 3 ||
            p->units < 0 || p->nanos < 0 || p->nanos > 999999999) {
                snprintf(why, why_len,
                         "each line needs a book_id (1 to 64 characters), a quantity > 0 and a "
                         "unit_price >= 0 with a 3-letter currency");
                return -EINVAL;
        }
        return 0;
}

static int add_line(struct db_conn *conn, const Bookstore__Events__V1__OrderLine *l, int sign)
{
        struct sales_row row = {0};
        struct db_value id = db_text(l->book_id);
        int r = db_query(conn,
                         "SELECT units_sold, revenue_currency, revenue_units, revenue_nanos "
                         "FROM book_sales WHERE book_id = ? FOR UPDATE",
                         &id, 1, sales_cb, &row);
        if (r < 0)
                return r;
        struct catalog_money price = {.units = l->unit_price->units, .nanos = l->unit_price->nanos};
        snprintf(price.currency, sizeof(price.currency), "%s", l->unit_price->currency_code);
        if (!catalog_sales_add(&row.s, sign, l->quantity, &price))
                log_msg(LOG_WARN, "sale in another currency than the book's: units counted only",
                        "{s:s, s:s, s:s}", "book_id", l->book_id, "currency", price.currency,
                        "book_currency", row.s.revenue.currency);
        struct db_value v[] = {db_int(row.s.units),         db_text(row.s.revenue.currency),
                               db_int(row.s.revenue.units), db_int(row.s.revenue.nanos),
                               db_int(clock_realtime_ms()), db_text(l->book_id)};
        return db_exec(conn,
                       row.found ? "UPDATE book_sales SET units_sold = ?, revenue_currency = ?, "
                                   "revenue_units = ?, revenue_nanos = ?, updated_ms = ? "
                                   "WHERE book_id = ?"
                                 : "INSERT INTO book_sales (units_sold, revenue_currency, "
                                   "revenue_units, revenue_nanos, updated_ms, book_id) "
                                   "VALUES (?, ?, ?, ?, ?, ?)",
                       v, 6, NULL, NULL);
}

static int on_order(struct db_conn *conn, const Bookstore__Events__V1__EventEnvelope *e,
                    void *userdata, char *why, size_t why_len)
{
        (void)userdata;
        bool confirmed =
                e->payload_case == BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_CONFIRMED;
        const char *order_id =
                confirmed ? e->order_confirmed->order_id : e->order_cancelled->order_id;
        Bookstore__Events__V1__OrderLine **lines =
                confirmed ? e->order_confirmed->lines : e->order_cancelled->lines;
        size_t n = confirmed ? e->order_confirmed->n_lines : e->order_cancelled->n_lines;
        int r = 0;
        if (!id_ok(order_id)) {
                snprintf(why, why_len, "order_id must be 1 to 64 characters");
                return -EINVAL;
        }
        for (size_t i = 0; i < n && r == 0; i++)
                r = check_line(lines[i], why, why_len);
        if (r < 0)
                return r;
        enum catalog_sales_order current = SALES_ORDER_UNSEEN, next;
        struct db_value id = db_text(order_id);
        if ((r = db_query(conn, "SELECT state FROM sales_orders WHERE order_id = ? FOR UPDATE", &id,
                          1, order_state_cb, &current)) < 0)
                return r;
        int sign = catalog_sales_effect(current, confirmed, &next);
        if (next == current)
                return 0;
        struct db_value v[] = {db_int(next), db_int(clock_realtime_ms()), db_text(order_id)};
        r = db_exec(
                conn,
                current == SALES_ORDER_UNSEEN
                        ? "INSERT INTO sales_orders (state, updated_ms, order_id) VALUES (?, ?, ?)"
                        : "UPDATE sales_orders SET state = ?, updated_ms = ? WHERE order_id = ?",
                v, 3, NULL, NULL);
        for (size_t i = 0; i < n && r == 0 && sign; i++)
                r = add_line(conn, lines[i], sign);
        return r;
}

void catalog_event_handlers(struct catalog_projections *ctx,
                            struct events_handler out[CATALOG_N_HANDLERS])
{
        out[0] = (struct events_handler){"stock.depleted", on_stock, drop_cached_book, ctx};
        out[1] = (struct events_handler){"stock.replenished", on_stock, drop_cached_book, ctx};
        out[2] = (struct events_handler){"order.confirmed", on_order, NULL, ctx};
        out[3] = (struct events_handler){"order.cancelled", on_order, NULL, ctx};
        static const char *const review_events[] = {"review.created",  "review.updated",
                                                    "review.deleted",  "review.hidden",
                                                    "review.unhidden", "review.answered"};
        for (size_t i = 0; i < sizeof(review_events) / sizeof(review_events[0]); i++)
                out[4 + i] =
                        (struct events_handler){review_events[i], on_review, drop_cached_book, ctx};
}
