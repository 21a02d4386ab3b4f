/* Inventory rules; see inventory-rules.h. */
#include "core/errors.h"
#include "core/ids.h"
#include "inventory-rules.h"

#include "inventory-errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW(code, kind, msg) [code - IE_FIRST] = {kind, msg},
ERROR_TABLE(inventory, IE_FIRST, INVENTORY_ERRORS(ROW))
#undef ROW

int inventory_check_order_id(const char *order_id)
{
        return id_valid(order_id, 64) ? IE_OK : IE_ORDER_ID_INVALID;
}

int inventory_check_book_id(const char *book_id)
{
        return id_valid(book_id, 63) ? IE_OK : IE_BOOK_ID_INVALID;
}

int inventory_check_on_hand(int64_t on_hand)
{
        return on_hand >= 0 && on_hand <= INVENTORY_MAX_ON_HAND ? IE_OK : IE_QUANTITY_INVALID;
}

int inventory_adjusted(const struct inventory_level *l, int64_t delta, int64_t *ret_on_hand)
{
        if (delta == 0 || delta > INVENTORY_MAX_ON_HAND || delta < -INVENTORY_MAX_ON_HAND)
                return IE_QUANTITY_INVALID;
        int64_t after = l->on_hand + delta;
        if (after < l->reserved || after < 0)
                return IE_BELOW_RESERVED;
        if (after > INVENTORY_MAX_ON_HAND)
                return IE_STOCK_TOO_HIGH;
        *ret_on_hand = after;
        return IE_OK;
}

static int by_book(const void *a, const void *b)
{
        return strcmp(((const struct inventory_item *)a)->book_id,
                      ((const struct inventory_item *)b)->book_id);
}

void inventory_sort_items(struct inventory_item *items, size_t n)
{
        qsort(items, n, sizeof(*items), by_book);
}

int inventory_normalize_items(struct inventory_item *items, size_t n)
{
        if (n == 0 || n > INVENTORY_MAX_ITEMS)
                return IE_ITEMS_INVALID;
        for (size_t i = 0; i < n; i++) {
                if (inventory_check_book_id(items[i].book_id) != IE_OK)
                        return IE_BOOK_ID_INVALID;
                if (items[i].quantity < 1 || items[i].quantity > INVENTORY_MAX_QUANTITY)
                        return IE_ITEMS_INVALID;
        }
        inventory_sort_items(items, n);
        for (size_t i = 1; i < n; i++)
                if (!strcmp(items[i - 1].book_id, items[i].book_id))
                        return IE_ITEMS_INVALID;
        return IE_OK;
}

bool inventory_same_items(const struct inventory_item *a, size_t na, const struct inventory_item *b,
                          size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (strcmp(a[i].book_id, b[i].book_id) || a[i].quantity != b[i].quantity)
                        return false;
        return true;
}

/* One row per status, as a switch with no default: -Wswitch (an error here)
 * rejects a status without its row. An undo (release, restock) must succeed
 * when there is nothing to undo; one of a reservation never seen fences it. */
enum inventory_decision inventory_decide(enum inventory_reservation_status current,
                                         enum inventory_action action)
{
        switch (current) {
        case RESERVATION_NONE:
                return action == ACTION_COMMIT ? DECIDE_REFUSE : DECIDE_FENCE;
        case RESERVATION_RESERVED:
                return action == ACTION_RESTOCK ? DECIDE_REFUSE : DECIDE_APPLY;
        case RESERVATION_RELEASED: /* restock: undoing a sale that never happened */
                return action == ACTION_COMMIT ? DECIDE_REFUSE : DECIDE_NOOP;
        case RESERVATION_COMMITTED:
                return action == ACTION_RELEASE  ? DECIDE_REFUSE
                       : action == ACTION_COMMIT ? DECIDE_NOOP
                                                 : DECIDE_APPLY;
        case RESERVATION_RESTOCKED: /* only a commit is restocked: a late commit finds it done */
                return action == ACTION_RELEASE ? DECIDE_REFUSE : DECIDE_NOOP;
        }
        return DECIDE_REFUSE;
}

bool inventory_compensated(enum inventory_reservation_status status)
{
        return status == RESERVATION_RELEASED || status == RESERVATION_RESTOCKED;
}

int inventory_find_shortages(const struct inventory_item *items,
                             const struct inventory_level *levels, size_t n, char *message,
                             size_t message_len)
{
        int r = IE_OK;
        size_t used = (size_t)snprintf(message, message_len, "insufficient stock:");
        for (size_t i = 0; i < n; i++) {
                int64_t available = inventory_available(&levels[i]);
                if (available >= items[i].quantity)
                        continue;
                r = IE_INSUFFICIENT;
                if (used < message_len)
                        used += (size_t)snprintf(message + used, message_len - used,
                                                 "%s book %s (available %lld, requested %lld)",
                                                 used > 20 ? ";" : "", items[i].book_id,
                                                 (long long)(available > 0 ? available : 0),
                                                 (long long)items[i].quantity);
        }
        return r;
}

unsigned inventory_stock_events(const struct inventory_level *before,
                                const struct inventory_level *after)
{
        if (before->on_hand == after->on_hand && before->reserved == after->reserved)
                return 0;
        int64_t was = inventory_available(before), is = inventory_available(after);
        return STOCK_EVENT_CHANGED | (was > 0 && is <= 0 ? STOCK_EVENT_DEPLETED : 0) |
               (was <= 0 && is > 0 ? STOCK_EVENT_REPLENISHED : 0);
}
