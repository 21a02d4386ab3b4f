/* Inventory rules: stock arithmetic, reservation items and the reservation
 * state machine. Pure; no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
        INVENTORY_MAX_ITEMS = 100,
        INVENTORY_MAX_QUANTITY = 1000,
        INVENTORY_MAX_ON_HAND = 1000000000
};

/* Same numbers as bookstore.inventory.v1.ReservationStatus. */
enum inventory_reservation_status {
        RESERVATION_NONE = 0, /* no such reservation */
        RESERVATION_RESERVED = 1,
        RESERVATION_RELEASED = 2,
        RESERVATION_COMMITTED = 3,
        RESERVATION_RESTOCKED = 4,
};

enum inventory_action { ACTION_RELEASE, ACTION_COMMIT, ACTION_RESTOCK };

enum inventory_decision {
        DECIDE_APPLY, /* change the status and the stock */
        DECIDE_NOOP,  /* already done, or nothing to undo: succeed without a change */
        DECIDE_FENCE, /* an undo of a reservation never seen: record a RELEASED
                         tombstone, so the reservation arriving late is refused */
        DECIDE_REFUSE,
};

struct inventory_level {
        char book_id[64];
        int64_t on_hand, reserved;
};

struct inventory_item {
        char book_id[64];
        int64_t quantity;
};

static inline int64_t inventory_available(const struct inventory_level *l)
{
        return l->on_hand - l->reserved;
}

int inventory_check_order_id(const char *order_id);
int inventory_check_book_id(const char *book_id);
int inventory_check_on_hand(int64_t on_hand);
/* The stock after adding delta, or IE_BELOW_RESERVED / IE_QUANTITY_INVALID. */
int inventory_adjusted(const struct inventory_level *l, int64_t delta, int64_t *ret_on_hand);
/* Validates and sorts items by book_id (locks are then taken in one order,
 * which rules out deadlocks between concurrent reservations). */
/* By book id: the one order a reservation's items are kept and read in. */
void inventory_sort_items(struct inventory_item *items, size_t n);
int inventory_normalize_items(struct inventory_item *items, size_t n);
/* Same books and quantities (both normalized). */
bool inventory_same_items(const struct inventory_item *a, size_t na, const struct inventory_item *b,
                          size_t nb);
enum inventory_decision inventory_decide(enum inventory_reservation_status current,
                                         enum inventory_action action);
/* A reservation in this status was undone (or fenced before it came): a
 * ReserveStock for its order is refused, not answered as a repeat. */
bool inventory_compensated(enum inventory_reservation_status status);
/* Message naming every book short of stock, e.g. "insufficient stock: book b1
 * (available 2, requested 3)". levels[i] belongs to items[i]. IE_OK when none. */
int inventory_find_shortages(const struct inventory_item *items,
                             const struct inventory_level *levels, size_t n, char *message,
                             size_t message_len);

/* What a change of a book's stock level tells the rest of the system
 * (bookstore.events.v1): every change is stock.changed; available reaching 0
 * from above is stock.depleted; available rising from 0 is stock.replenished. */
enum inventory_stock_event {
        STOCK_EVENT_CHANGED = 1u << 0,
        STOCK_EVENT_DEPLETED = 1u << 1,
        STOCK_EVENT_REPLENISHED = 1u << 2,
};
/* The events (bits) of before -> after; 0 when nothing changed. */
unsigned inventory_stock_events(const struct inventory_level *before,
                                const struct inventory_level *after);
