/* Stock and reservations in MariaDB; see inventory-mysql.h. Every operation
 * is one transaction, and the stock events it causes (inventory-events.h) are
 * written to the outbox in that same transaction. Stock rows are locked in book_id order (items
 * come sorted), so concurrent reservations queue on a row instead of deadlocking, and a row is
 * checked and changed under its lock: no oversell. */
#include "inventory-events.h"
#include "inventory-errors.h"
#include "inventory-mysql.h"

#include "db/listing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int level_cb(const struct db_row *row, void *userdata)
{
        struct inventory_level *l = userdata;
        l->on_hand = db_row_int64(row, 0);
        l->reserved = db_row_int64(row, 1);
        return 0;
}

/* The level of a book under a row lock; zeros (found false) when never stocked. */
static int lock_level(struct db_conn *c, const char *book_id, struct inventory_level *l,
                      bool *found)
{
        memset(l, 0, sizeof(*l));
        snprintf(l->book_id, sizeof(l->book_id), "%s", book_id);
        l->on_hand = -1;
        struct db_value v = db_text(book_id);
        int r = db_query(c, "SELECT on_hand, reserved FROM stock WHERE book_id = ? FOR UPDATE", &v,
                         1, level_cb, l);
        *found = l->on_hand >= 0;
        if (!*found)
                l->on_hand = 0;
        return r;
}

/* Writes a book's level `before` -> `l` (locked by lock_level) and its events. */
static int write_level(struct db_conn *c, const struct inventory_level *before,
                       const struct inventory_level *l, bool exists)
{
        struct db_value p[] = {db_int(l->on_hand), db_int(l->reserved), db_int(time(NULL)),
                               db_text(l->book_id)};
        int r = db_exec(c,
                        exists ? "UPDATE stock SET on_hand = ?, reserved = ?, updated_at = ? "
                                 "WHERE book_id = ?"
                               : "INSERT INTO stock (on_hand, reserved, updated_at, book_id) "
                                 "VALUES (?, ?, ?, ?)",
                        p, 4, NULL, NULL);
        return r < 0 ? r : inventory_append_stock_events(c, before, l);
}

static int store_get_level(void *self, const char *book_id, struct inventory_level *ret)
{
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->book_id, sizeof(ret->book_id), "%s", book_id);
        struct db_value v = db_text(book_id);
        return db_pool_query(self, "SELECT on_hand, reserved FROM stock WHERE book_id = ?", &v, 1,
                             level_cb, ret);
}

/* set (absolute) when `set`, else add delta */
static int change_on_hand(struct db_pool *pool, const char *book_id, bool set, int64_t value,
                          struct inventory_level *ret)
{
        struct db_conn *c;
        int r = db_acquire(pool, &c);
        if (r < 0)
                return r;
        bool found;
        struct inventory_level l;
        if ((r = db_begin(c)) < 0 || (r = lock_level(c, book_id, &l, &found)) < 0)
                goto out;
        int64_t after = value;
        int rule = set ? IE_OK : inventory_adjusted(&l, value, &after);
        if (rule != IE_OK) {
                r = rule == IE_STOCK_TOO_HIGH ? -EOVERFLOW : -ERANGE;
                goto out;
        }
        if (after < l.reserved) {
                r = -ERANGE;
                goto out;
        }
        struct inventory_level before = l;
        l.on_hand = after;
        if ((r = write_level(c, &before, &l, found)) < 0 || (r = db_commit(c)) < 0)
                goto out;
        *ret = l;
out:
        db_release(c);
        return r;
}

static int store_set_on_hand(void *self, const char *book_id, int64_t on_hand,
                             struct inventory_level *ret)
{
        return change_on_hand(self, book_id, true, on_hand, ret);
}

static int store_adjust(void *self, const char *book_id, int64_t delta, struct inventory_level *ret)
{
        return change_on_hand(self, book_id, false, delta, ret);
}

struct loaded {
        struct inventory_reservation *r;
        bool found;
};

static int status_cb(const struct db_row *row, void *userdata)
{
        struct loaded *l = userdata;
        l->r->status = (enum inventory_reservation_status)db_row_int64(row, 0);
        l->found = true;
        return 0;
}

static int item_cb(const struct db_row *row, void *userdata)
{
        struct inventory_reservation *r = userdata;
        if (r->n_items < INVENTORY_MAX_ITEMS) {
                struct inventory_item *it = &r->items[r->n_items++];
                snprintf(it->book_id, sizeof(it->book_id), "%s", db_row_text(row, 0, NULL));
                it->quantity = db_row_int64(row, 1);
        }
        return 0;
}

/* The reservation (status NONE when absent); lock it when `lock`. */
static int load_reservation(struct db_conn *c, const char *order_id, bool lock,
                            struct inventory_reservation *ret)
{
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->order_id, sizeof(ret->order_id), "%s", order_id);
        struct loaded l = {.r = ret};
        struct db_value v = db_text(order_id);
        int r = db_query(c,
                         lock ? "SELECT status FROM reservations WHERE order_id = ? FOR UPDATE"
                              : "SELECT status FROM reservations WHERE order_id = ?",
                         &v, 1, status_cb, &l);
        if (r < 0 || !l.found)
                return r;
        return db_query(c,
                        "SELECT book_id, quantity FROM reservation_items WHERE order_id = ? "
                        "ORDER BY book_id",
                        &v, 1, item_cb, ret);
}

static int store_reserve(void *self, const char *order_id, const struct inventory_item *items,
                         size_t n, struct inventory_reservation *ret, char *shortage,
                         size_t shortage_len)
{
        struct db_conn *c;
        struct inventory_level levels[INVENTORY_MAX_ITEMS];
        bool found[INVENTORY_MAX_ITEMS];
        int r = db_acquire(self, &c);
        if (r < 0)
                return r;
        /* a repeat: answered from what is stored, without locking anything */
        if ((r = load_reservation(c, order_id, false, ret)) < 0)
                goto out;
        if (ret->status != RESERVATION_NONE) {
                r = -EEXIST;
                goto out;
        }
        if ((r = db_begin(c)) < 0)
                goto out;
        for (size_t i = 0; i < n; i++)
                if ((r = lock_level(c, items[i].book_id, &levels[i], &found[i])) < 0)
                        goto out;
        if (inventory_find_shortages(items, levels, n, shortage, shortage_len) != 0) {
                r = -ERANGE;
                goto out;
        }
        int64_t now = time(NULL);
        struct db_value head[] = {db_text(order_id), db_int(RESERVATION_RESERVED), db_int(now),
                                  db_int(now)};
        r = db_exec(c,
                    "INSERT INTO reservations (order_id, status, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?)",
                    head, 4, NULL, NULL);
        if (r == -EEXIST) { /* the same order, reserved concurrently: answer with that one */
                db_rollback(c);
                r = load_reservation(c, order_id, false, ret);
                r = r < 0 ? r : -EEXIST;
                goto out;
        }
        for (size_t i = 0; r == 0 && i < n; i++) {
                struct inventory_level before = levels[i];
                levels[i].reserved += items[i].quantity;
                struct db_value it[] = {db_text(order_id), db_text(items[i].book_id),
                                        db_int(items[i].quantity)};
                if ((r = write_level(c, &before, &levels[i], found[i])) == 0)
                        r = db_exec(c,
                                    "INSERT INTO reservation_items (order_id, book_id, quantity) "
                                    "VALUES (?, ?, ?)",
                                    it, 3, NULL, NULL);
        }
        if (r == 0 && (r = db_commit(c)) == 0) {
                ret->status = RESERVATION_RESERVED;
                memcpy(ret->items, items, n * sizeof(*items));
                ret->n_items = n;
        }
out:
        db_release(c); /* rolls back whatever was not committed */
        return r;
}

/* The undo of a reservation that never came: a RELEASED row without items,
 * in the undo's transaction, so the ReserveStock arriving after it finds the
 * order taken. -EDEADLK when that reservation committed first (retry: it is
 * then released like any other). */
static int insert_tombstone(struct db_conn *c, const char *order_id,
                            struct inventory_reservation *ret)
{
        int64_t now = time(NULL);
        struct db_value head[] = {db_text(order_id), db_int(RESERVATION_RELEASED), db_int(now),
                                  db_int(now)};
        int r = db_exec(c,
                        "INSERT INTO reservations (order_id, status, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?)",
                        head, 4, NULL, NULL);
        if (r == -EEXIST)
                return -EDEADLK;
        if (r == 0 && (r = db_commit(c)) == 0)
                ret->status = RESERVATION_RELEASED;
        return r;
}

static int store_transition(void *self, const char *order_id, enum inventory_action action,
                            struct inventory_reservation *ret)
{
        struct db_conn *c;
        int r = db_acquire(self, &c);
        if (r < 0)
                return r;
        if ((r = db_begin(c)) < 0 || (r = load_reservation(c, order_id, true, ret)) < 0)
                goto out;
        enum inventory_decision d = inventory_decide(ret->status, action);
        if (d == DECIDE_FENCE) {
                r = insert_tombstone(c, order_id, ret);
                goto out;
        }
        if (d != DECIDE_APPLY) {
                r = d == DECIDE_NOOP ? 0 : -EPERM;
                goto out;
        }
        for (size_t i = 0; i < ret->n_items && r == 0; i++) {
                struct inventory_level l;
                bool found;
                if ((r = lock_level(c, ret->items[i].book_id, &l, &found)) < 0)
                        break;
                struct inventory_level before = l;
                int64_t q = ret->items[i].quantity;
                if (action != ACTION_RESTOCK)
                        l.reserved -= q;
                if (action == ACTION_COMMIT)
                        l.on_hand -= q;
                if (action == ACTION_RESTOCK)
                        l.on_hand += q;
                r = write_level(c, &before, &l, found);
        }
        enum inventory_reservation_status to = action == ACTION_RELEASE  ? RESERVATION_RELEASED
                                               : action == ACTION_COMMIT ? RESERVATION_COMMITTED
                                                                         : RESERVATION_RESTOCKED;
        struct db_value p[] = {db_int(to), db_int(time(NULL)), db_text(order_id)};
        if (r == 0 &&
            (r = db_exec(c, "UPDATE reservations SET status = ?, updated_at = ? WHERE order_id = ?",
                         p, 3, NULL, NULL)) == 0 &&
            (r = db_commit(c)) == 0)
                ret->status = to;
out:
        db_release(c);
        return r;
}

static void read_reservation(const struct db_row *row, void *element)
{
        struct inventory_reservation *r = element;
        snprintf(r->order_id, sizeof(r->order_id), "%s", db_row_text(row, 0, NULL));
        r->status = (enum inventory_reservation_status)db_row_int64(row, 1);
        r->updated_at = db_row_int64(row, 2);
}

/* Each item to its reservation among the page's (rows->out). */
static int listed_item_cb(const struct db_row *row, void *userdata)
{
        struct db_rows *l = userdata;
        const char *order_id = db_row_text(row, 0, NULL);
        for (size_t i = 0; i < l->n; i++) {
                struct inventory_reservation *r = (struct inventory_reservation *)l->out + i;
                if (!strcmp(r->order_id, order_id) && r->n_items < INVENTORY_MAX_ITEMS) {
                        struct inventory_item *it = &r->items[r->n_items++];
                        snprintf(it->book_id, sizeof(it->book_id), "%s", db_row_text(row, 1, NULL));
                        it->quantity = db_row_int64(row, 2);
                }
        }
        return 0;
}

/* The page's reservations, then all their items in one query. */
static int store_list(void *self, const struct listing_filter *f, struct inventory_reservation *ret,
                      size_t *ret_n)
{
        char sql[2048] = "SELECT order_id, status, updated_at FROM reservations";
        struct db_value v[DB_LISTING_MAX_VALUES];
        size_t n = 0;
        struct db_rows l = {
                .out = ret, .size = sizeof(*ret), .cap = f->limit, .read = read_reservation};
        int r = db_listing_sql(f, "order_id", "status", "updated_at", sql, sizeof(sql), v, &n);
        if (r == 0)
                r = db_pool_query(self, sql, v, n, db_rows_cb, &l);
        *ret_n = l.n;
        if (r < 0 || l.n == 0)
                return r < 0 ? r : 0;
        const char *ids[LISTING_MAX_IDS];
        for (size_t first = 0; r == 0 && first < l.n; first += LISTING_MAX_IDS) {
                struct listing_filter items = {.ids = ids,
                                               .limit = LISTING_MAX_IDS * INVENTORY_MAX_ITEMS};
                for (size_t i = first; i < l.n && items.n_ids < LISTING_MAX_IDS; i++)
                        ids[items.n_ids++] = ret[i].order_id;
                snprintf(sql, sizeof(sql),
                         "SELECT order_id, book_id, quantity FROM reservation_items");
                n = 0;
                r = db_listing_sql(&items, "order_id", "order_id", "order_id", sql, sizeof(sql), v,
                                   &n);
                if (r == 0)
                        r = db_pool_query(self, sql, v, n, listed_item_cb, &l);
        }
        for (size_t i = 0; i < l.n; i++) /* the order find reads them in */
                inventory_sort_items(ret[i].items, ret[i].n_items);
        return r < 0 ? r : 0;
}

static int store_prune_tombstones(void *self, int64_t before_s, int64_t *ret_n)
{
        struct db_value v[] = {db_int(RESERVATION_RELEASED), db_int(before_s)};
        uint64_t n = 0;
        int r = db_pool_exec(self,
                             "DELETE FROM reservations WHERE status = ? AND updated_at < ? AND NOT "
                             "EXISTS (SELECT 1 FROM reservation_items i WHERE i.order_id = "
                             "reservations.order_id)",
                             v, 2, &n, NULL);
        *ret_n = (int64_t)n;
        return r;
}

static const struct inventory_store_ops store_mysql_ops = {
        .get_level = store_get_level,
        .set_on_hand = store_set_on_hand,
        .adjust = store_adjust,
        .reserve = store_reserve,
        .transition = store_transition,
        .list = store_list,
        .prune_tombstones = store_prune_tombstones,
};

struct inventory_store inventory_store_mysql(struct db_pool *pool)
{
        return (struct inventory_store){.ops = &store_mysql_ops, .self = pool};
}
