/* Inventory use cases. IE_OK, a positive inventory_error, or a negative errno. */
#pragma once

#include "inventory-errors.h"
#include "inventory-ports.h"

#include "core/roles.h"

struct inventory_app {
        struct inventory_store store;
        struct inventory_books books;
        int64_t tombstone_retention_ms; /* tombstones last this long */
};

struct inventory_caller {
        const char *subject;
        unsigned role;
        const char *authorization; /* forwarded to the catalog */
};

int inventory_set_stock(struct inventory_app *app, const struct inventory_caller *caller,
                        const char *book_id, int64_t on_hand, struct inventory_level *ret);
int inventory_adjust_stock(struct inventory_app *app, const struct inventory_caller *caller,
                           const char *book_id, int64_t delta, struct inventory_level *ret);
int inventory_get_stock(struct inventory_app *app, const char *book_id,
                        struct inventory_level *ret);
/* On IE_INSUFFICIENT, message names the books. items are normalized in place.
 * deadline_left_ms is what the caller's deadline leaves (-1: none); at 0 the
 * caller gave up and nothing is reserved behind its back (IE_DEADLINE). */
int inventory_reserve(struct inventory_app *app, const char *order_id, struct inventory_item *items,
                      size_t n, int64_t deadline_left_ms, struct inventory_reservation *ret,
                      char *message, size_t message_len);
int inventory_apply(struct inventory_app *app, const char *order_id, enum inventory_action action,
                    struct inventory_reservation *ret);
/* ADMIN and SERVICE (checkout's reconciler): reservations matching f, one
 * page, in order id order; ret holds f->limit. */
int inventory_list(struct inventory_app *app, unsigned role, const struct listing_filter *f,
                   struct inventory_reservation *ret, size_t *ret_n,
                   char next_token[PAGE_KEY_MAX + 1]);

/* Retention (a chore: svc_add_retention): deletes tombstones older than
 * tombstone_retention_ms -- by then no reservation they fence off can
 * arrive (each carries a deadline far shorter). */
int inventory_prune_tombstones(struct inventory_app *app);
