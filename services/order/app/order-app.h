/* Order use cases: OE_OK, a positive order_error, or a negative errno. */
#pragma once

#include "order-errors.h"
#include "core/roles.h"
#include "core/listing.h"
#include "order-ports.h"

enum {
        ORDER_PAGE_DEFAULT = 20,
        ORDER_PAGE_MAX = 100,
};

struct order_app {
        struct order_store store;
        struct order_peers peers;
        struct core_env env;
};

struct order_caller {
        const char *subject;
        unsigned role;
        const char *authorization; /* forwarded to the catalog and identity */
};

struct order_item_request {
        const char *book_id;
        int32_t quantity;
};

struct order_create_request {
        const struct order_item_request *items;
        size_t n_items;
        const char *shipping_address_id;            /* "" or an id of the customer's */
        const struct order_address *inline_address; /* NULL when not given */
        const char *idempotency_key;                /* "" for none */
        const char *customer_id;                    /* SERVICE callers act for this customer */
        int64_t deadline_ms; /* the caller's deadline on env's clock; 0: none */
};

int order_create(struct order_app *app, const struct order_caller *caller,
                 const struct order_create_request *req, struct order *ret);
int order_get(struct order_app *app, const struct order_caller *caller, const char *id,
              struct order *ret);
/* The page size a request gets (default, at most ORDER_PAGE_MAX): ret of
 * order_list must hold that many orders plus one. */
size_t order_page_size(int32_t requested);
/* What ListOrders filters on besides its caller; zero or none: any. */
struct order_list_filter {
        enum order_status status;
        const char *const *ids; /* at most LISTING_MAX_IDS */
        size_t n_ids;
        int64_t updated_since; /* unix seconds */
        const char *book_id;   /* only orders with it; NULL or "": any */
};
int order_list(struct order_app *app, const struct order_caller *caller,
               const struct order_list_filter *f, int32_t page_size, const char *page_token,
               struct order *ret, size_t *ret_n, char next_token[32]);
/* SERVICE: the saga's transitions. explain gets the allowed moves on OE_TRANSITION. */
int order_change_status(struct order_app *app, const char *id, enum order_status to,
                        const char *reason, struct order *ret, char *explain, size_t explain_len);
/* A seller of a book in the order, or an admin. */
int order_mark(struct order_app *app, const struct order_caller *caller, const char *id,
               enum order_status to, struct order *ret, char *explain, size_t explain_len);
/* Refused for everyone (OE_CANCEL_THROUGH_CHECKOUT): customers cancel through
 * checkout's CancelOrder, whose saga moves the order with ChangeOrderStatus. */
int order_request_cancel(struct order_app *app, const struct order_caller *caller, const char *id,
                         const char *reason, struct order *ret, char *explain, size_t explain_len);
