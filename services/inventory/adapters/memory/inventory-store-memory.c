/* The inventory store in memory; see inventory-store-memory.h. */
#include "inventory-store-memory.h"

#include "inventory-errors.h"

#include "core/grow.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void inventory_memory_init(struct inventory_memory *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void inventory_memory_free(struct inventory_memory *m)
{
        free(m->reservations);
        m->reservations = NULL;
        free(m->levels);
        m->levels = NULL;
        pthread_mutex_destroy(&m->lock);
}

/* The level of a book, created at zero when `create`; NULL when absent (or
 * out of memory). */
static struct inventory_level *level_of(struct inventory_memory *m, const char *book_id,
                                        bool create)
{
        for (size_t i = 0; i < m->n_levels; i++)
                if (!strcmp(m->levels[i].book_id, book_id))
                        return &m->levels[i];
        if (!create ||
            grow_for_one(&m->levels, &m->cap_levels, m->n_levels, sizeof(*m->levels)) < 0)
                return NULL;
        struct inventory_level *l = &m->levels[m->n_levels++];
        memset(l, 0, sizeof(*l));
        snprintf(l->book_id, sizeof(l->book_id), "%s", book_id);
        return l;
}

static struct inventory_reservation *reservation_of(struct inventory_memory *m,
                                                    const char *order_id)
{
        for (size_t i = 0; i < m->n_reservations; i++)
                if (!strcmp(m->reservations[i].order_id, order_id))
                        return &m->reservations[i];
        return NULL;
}

static struct inventory_reservation *new_reservation(struct inventory_memory *m,
                                                     const char *order_id,
                                                     enum inventory_reservation_status status)
{
        if (grow_for_one(&m->reservations, &m->cap_reservations, m->n_reservations,
                         sizeof(*m->reservations)) < 0)
                return NULL;
        struct inventory_reservation *r = &m->reservations[m->n_reservations++];
        memset(r, 0, sizeof(*r));
        snprintf(r->order_id, sizeof(r->order_id), "%s", order_id);
        r->status = status;
        r->updated_at = time(NULL);
        return r;
}

static int mem_get_level(void *self, const char *book_id, struct inventory_level *ret)
{
        struct inventory_memory *m = self;
        pthread_mutex_lock(&m->lock);
        const struct inventory_level *l = level_of(m, book_id, false);
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->book_id, sizeof(ret->book_id), "%s", book_id);
        if (l)
                *ret = *l;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static int change_on_hand(struct inventory_memory *m, const char *book_id, bool set, int64_t value,
                          struct inventory_level *ret)
{
        pthread_mutex_lock(&m->lock);
        struct inventory_level *l = level_of(m, book_id, true);
        int64_t after = value;
        int r = 0, rule = IE_OK;
        if (!l)
                r = -ENOSPC;
        else if (!set && (rule = inventory_adjusted(l, value, &after)) != IE_OK)
                r = rule == IE_STOCK_TOO_HIGH ? -EOVERFLOW : -ERANGE;
        else if (after < l->reserved)
                r = -ERANGE;
        if (r == 0) {
                l->on_hand = after;
                *ret = *l;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int mem_set_on_hand(void *self, const char *book_id, int64_t on_hand,
                           struct inventory_level *ret)
{
        return change_on_hand(self, book_id, true, on_hand, ret);
}

static int mem_adjust(void *self, const char *book_id, int64_t delta, struct inventory_level *ret)
{
        return change_on_hand(self, book_id, false, delta, ret);
}

static int mem_reserve(void *self, const char *order_id, const struct inventory_item *items,
                       size_t n, struct inventory_reservation *ret, char *shortage,
                       size_t shortage_len)
{
        struct inventory_memory *m = self;
        struct inventory_level levels[INVENTORY_MAX_ITEMS];
        int r = 0;
        pthread_mutex_lock(&m->lock);
        const struct inventory_reservation *known = reservation_of(m, order_id);
        if (known) {
                *ret = *known;
                r = -EEXIST;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                const struct inventory_level *l = level_of(m, items[i].book_id, false);
                memset(&levels[i], 0, sizeof(levels[i]));
                if (l)
                        levels[i] = *l;
        }
        if (inventory_find_shortages(items, levels, n, shortage, shortage_len) != 0) {
                r = -ERANGE;
                goto out;
        }
        struct inventory_reservation *res = new_reservation(m, order_id, RESERVATION_RESERVED);
        if (!res) {
                r = -ENOSPC;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                level_of(m, items[i].book_id, false)->reserved += items[i].quantity;
        memcpy(res->items, items, n * sizeof(*items));
        res->n_items = n;
        *ret = *res;
out:
        pthread_mutex_unlock(&m->lock);
        return r;
}

static void apply_to_stock(struct inventory_memory *m, const struct inventory_reservation *res,
                           enum inventory_action action)
{
        for (size_t i = 0; i < res->n_items; i++) {
                struct inventory_level *l = level_of(m, res->items[i].book_id, true);
                int64_t q = res->items[i].quantity;
                if (action != ACTION_RESTOCK)
                        l->reserved -= q;
                if (action == ACTION_COMMIT)
                        l->on_hand -= q;
                if (action == ACTION_RESTOCK)
                        l->on_hand += q;
        }
}

static int mem_transition(void *self, const char *order_id, enum inventory_action action,
                          struct inventory_reservation *ret)
{
        struct inventory_memory *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        struct inventory_reservation *res = reservation_of(m, order_id);
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->order_id, sizeof(ret->order_id), "%s", order_id);
        if (res)
                *ret = *res;
        switch (inventory_decide(ret->status, action)) {
        case DECIDE_FENCE:
                if (!(res = new_reservation(m, order_id, RESERVATION_RELEASED)))
                        r = -ENOSPC;
                else
                        *ret = *res;
                break;
        case DECIDE_APPLY:
                apply_to_stock(m, res, action);
                res->status = action == ACTION_RELEASE  ? RESERVATION_RELEASED
                              : action == ACTION_COMMIT ? RESERVATION_COMMITTED
                                                        : RESERVATION_RESTOCKED;
                res->updated_at = time(NULL);
                *ret = *res;
                break;
        case DECIDE_NOOP:
                break;
        case DECIDE_REFUSE:
                r = -EPERM;
                break;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

_Static_assert(sizeof(enum inventory_reservation_status) == sizeof(int),
               "listing_select reads an int");

static int mem_list(void *self, const struct listing_filter *f, struct inventory_reservation *ret,
                    size_t *ret_n)
{
        static const struct listing_row_shape shape = {
                .size = sizeof(struct inventory_reservation),
                .key = offsetof(struct inventory_reservation, order_id),
                .status = offsetof(struct inventory_reservation, status),
                .updated = offsetof(struct inventory_reservation, updated_at)};
        struct inventory_memory *m = self;
        pthread_mutex_lock(&m->lock);
        *ret_n = listing_select(f, m->reservations, m->n_reservations, &shape, ret);
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static int mem_prune_tombstones(void *self, int64_t before_s, int64_t *ret_n)
{
        struct inventory_memory *m = self;
        size_t kept = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_reservations; i++) {
                const struct inventory_reservation *r = &m->reservations[i];
                if (r->status != RESERVATION_RELEASED || r->n_items || r->updated_at >= before_s)
                        m->reservations[kept++] = *r;
        }
        *ret_n = (int64_t)(m->n_reservations - kept);
        m->n_reservations = kept;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static const struct inventory_store_ops memory_ops = {
        .get_level = mem_get_level,
        .set_on_hand = mem_set_on_hand,
        .adjust = mem_adjust,
        .reserve = mem_reserve,
        .transition = mem_transition,
        .list = mem_list,
        .prune_tombstones = mem_prune_tombstones,
};

struct inventory_store inventory_store_memory(struct inventory_memory *m)
{
        return (struct inventory_store){.ops = &memory_ops, .self = m};
}
