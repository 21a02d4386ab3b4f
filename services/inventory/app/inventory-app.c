/* Inventory use cases; see inventory-app.h. */
#include "inventory-app.h"

#include <time.h>

#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { DEADLOCK_RETRIES = 5 };

static int check_owner(struct inventory_app *app, const struct inventory_caller *caller,
                       const char *book_id)
{
        if (inventory_check_book_id(book_id) != IE_OK)
                return IE_BOOK_ID_INVALID;
        char seller[64];
        int r = app->books.ops->seller_of(app->books.self, book_id, caller->authorization, seller,
                                          sizeof(seller));
        if (r == -ENOENT)
                return IE_BOOK_NOT_FOUND;
        if (r < 0)
                return r;
        if (caller->role & ROLE_ADMIN)
                return IE_OK;
        return (caller->role & ROLE_SELLER) && !strcmp(seller, caller->subject) ? IE_OK
                                                                                : IE_NOT_OWNER;
}

int inventory_set_stock(struct inventory_app *app, const struct inventory_caller *caller,
                        const char *book_id, int64_t on_hand, struct inventory_level *ret)
{
        int r = inventory_check_on_hand(on_hand);
        if (r == IE_OK)
                r = check_owner(app, caller, book_id);
        if (r != IE_OK)
                return r;
        for (int i = 0; i < DEADLOCK_RETRIES; i++) {
                r = app->store.ops->set_on_hand(app->store.self, book_id, on_hand, ret);
                if (r != -EDEADLK && r != -EEXIST) /* -EEXIST: a concurrent first insert */
                        break;
        }
        return r == -ERANGE ? IE_BELOW_RESERVED : r;
}

int inventory_adjust_stock(struct inventory_app *app, const struct inventory_caller *caller,
                           const char *book_id, int64_t delta, struct inventory_level *ret)
{
        if (delta == 0 || delta > INVENTORY_MAX_ON_HAND || delta < -INVENTORY_MAX_ON_HAND)
                return IE_QUANTITY_INVALID;
        int r = check_owner(app, caller, book_id);
        if (r != IE_OK)
                return r;
        for (int i = 0; i < DEADLOCK_RETRIES; i++) {
                r = app->store.ops->adjust(app->store.self, book_id, delta, ret);
                if (r != -EDEADLK && r != -EEXIST)
                        break;
        }
        return r == -ERANGE ? IE_BELOW_RESERVED : r == -EOVERFLOW ? IE_STOCK_TOO_HIGH : r;
}

int inventory_get_stock(struct inventory_app *app, const char *book_id, struct inventory_level *ret)
{
        if (inventory_check_book_id(book_id) != IE_OK)
                return IE_BOOK_ID_INVALID;
        return app->store.ops->get_level(app->store.self, book_id, ret);
}

int inventory_reserve(struct inventory_app *app, const char *order_id, struct inventory_item *items,
                      size_t n, int64_t deadline_left_ms, struct inventory_reservation *ret,
                      char *message, size_t message_len)
{
        int r = inventory_check_order_id(order_id);
        if (r == IE_OK)
                r = inventory_normalize_items(items, n);
        if (r != IE_OK)
                return r;
        if (deadline_left_ms == 0)
                return IE_DEADLINE;
        for (int i = 0; i < DEADLOCK_RETRIES; i++) {
                r = app->store.ops->reserve(app->store.self, order_id, items, n, ret, message,
                                            message_len);
                if (r != -EDEADLK)
                        break;
        }
        if (r == -ERANGE)
                return IE_INSUFFICIENT;
        if (r == -EEXIST && inventory_compensated(ret->status))
                return IE_COMPENSATED; /* a late or repeated reserve after its release */
        if (r == -EEXIST)              /* the same request again gets the same answer */
                return inventory_same_items(ret->items, ret->n_items, items, n) ? IE_OK
                                                                                : IE_ORDER_MISMATCH;
        return r;
}

int inventory_apply(struct inventory_app *app, const char *order_id, enum inventory_action action,
                    struct inventory_reservation *ret)
{
        int r = inventory_check_order_id(order_id);
        if (r != IE_OK)
                return r;
        for (int i = 0; i < DEADLOCK_RETRIES; i++) {
                r = app->store.ops->transition(app->store.self, order_id, action, ret);
                if (r != -EDEADLK)
                        break;
        }
        return r == -EPERM ? IE_WRONG_STATE : r;
}

static const char *reservation_key(const void *rows, size_t i)
{
        return ((const struct inventory_reservation *)rows)[i].order_id;
}

int inventory_list(struct inventory_app *app, unsigned role, const struct listing_filter *f,
                   struct inventory_reservation *ret, size_t *ret_n,
                   char next_token[PAGE_KEY_MAX + 1])
{
        if (!(role & (ROLE_ADMIN | ROLE_SERVICE)))
                return IE_NOT_ALLOWED_TO_LIST;
        size_t n = 0;
        int r = app->store.ops->list(app->store.self, f, ret, &n);
        if (r < 0)
                return r;
        *ret_n = listing_page(f, n, reservation_key, ret, 'r', next_token);
        return IE_OK;
}

int inventory_prune_tombstones(struct inventory_app *app)
{
        int64_t before = (int64_t)time(NULL) - app->tombstone_retention_ms / 1000, n = 0;
        int r = app->store.ops->prune_tombstones(app->store.self, before, &n);
        if (r == 0 && n)
                log_msg(LOG_INFO, "retention: old tombstones let go", "{s:I}", "tombstones",
                        (json_int_t)n);
        return r;
}
