/* Order use cases; see order-app.h. */
#include "order-app.h"

#include "core/ids.h"
#include "core/listing.h"

#include "core/page.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_items(const struct order_item_request *items, size_t n)
{
        if (n == 0 || n > ORDER_MAX_ITEMS)
                return OE_ITEMS_INVALID;
        for (size_t i = 0; i < n; i++) {
                if (!items[i].book_id || !items[i].book_id[0] || strlen(items[i].book_id) > 63 ||
                    items[i].quantity < 1 || items[i].quantity > ORDER_MAX_QUANTITY)
                        return OE_ITEMS_INVALID;
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(items[k].book_id, items[i].book_id))
                                return OE_ITEMS_INVALID;
        }
        return OE_OK;
}

static int check_address(struct order_address *a)
{
        if (!a->recipient[0] || !a->line1[0] || !a->city[0] || !a->postal_code[0] ||
            !isalpha((unsigned char)a->country_code[0]) ||
            !isalpha((unsigned char)a->country_code[1]) || a->country_code[2])
                return OE_ADDRESS_INVALID;
        a->country_code[0] = (char)toupper((unsigned char)a->country_code[0]);
        a->country_code[1] = (char)toupper((unsigned char)a->country_code[1]);
        return OE_OK;
}

/* Same books and quantities as the stored order (for an idempotent repeat). */
static bool same_items(const struct order *o, const struct order_create_request *req)
{
        if (o->n_items != req->n_items)
                return false;
        for (size_t i = 0; i < req->n_items; i++) {
                bool found = false;
                for (size_t k = 0; k < o->n_items && !found; k++)
                        found = !strcmp(o->items[k].book_id, req->items[i].book_id) &&
                                o->items[k].quantity == req->items[i].quantity;
                if (!found)
                        return false;
        }
        return true;
}

static int resolve_address(struct order_app *app, const struct order_caller *caller,
                           const struct order_create_request *req, struct order_address *out)
{
        if (req->shipping_address_id && *req->shipping_address_id) {
                if (caller->role & ROLE_SERVICE) /* identity answers only the customer */
                        return OE_ADDRESS_INVALID;
                int r = app->peers.ops->address(app->peers.self, req->shipping_address_id,
                                                caller->authorization, out);
                return r == -ENOENT ? OE_ADDRESS_NOT_FOUND : r;
        }
        if (!req->inline_address)
                return OE_ADDRESS_INVALID;
        *out = *req->inline_address;
        return check_address(out);
}

/* Prices every line from the catalog (never from the client) and the total. */
static int price(struct order_app *app, const struct order_caller *caller,
                 const struct order_create_request *req, struct order *o)
{
        struct order_book *book = malloc(sizeof(*book));
        if (!book)
                return -ENOMEM;
        int r = OE_OK;
        for (size_t i = 0; i < req->n_items && r == OE_OK; i++) {
                r = app->peers.ops->book(app->peers.self, req->items[i].book_id,
                                         caller->authorization, book);
                if (r == -ENOENT) {
                        r = OE_BOOK_NOT_FOUND;
                        break;
                }
                if (r < 0)
                        break;
                if (!book->on_sale) {
                        r = OE_NOT_FOR_SALE;
                        break;
                }
                struct order_item *it = &o->items[o->n_items++];
                snprintf(it->book_id, sizeof(it->book_id), "%s", req->items[i].book_id);
                snprintf(it->title, sizeof(it->title), "%s", book->title);
                snprintf(it->seller_id, sizeof(it->seller_id), "%s", book->seller_id);
                it->quantity = req->items[i].quantity;
                it->unit_price = book->price;
                if (i == 0) { /* the order's currency is its first book's */
                        o->total = (struct order_money){.units = 0};
                        memcpy(o->total.currency, book->price.currency, sizeof(o->total.currency));
                }
                if (strcmp(o->total.currency, book->price.currency))
                        r = OE_MIXED_CURRENCIES;
                else if (!order_money_times(&book->price, it->quantity, &it->line_total) ||
                         !order_money_add(&o->total, &it->line_total) ||
                         o->total.units >= ORDER_MAX_TOTAL_UNITS)
                        r = OE_TOTAL_TOO_LARGE;
        }
        free(book);
        return r;
}

/* The order for the request in o: the stored one of its key, or a new one
 * priced, stored and read back (with its seq). o is scratch until OE_OK. */
static int find_or_create(struct order_app *app, const struct order_caller *caller,
                          const struct order_create_request *req, const char *customer,
                          const char *key, struct order *o)
{
        int r;
        if (*key) {
                r = app->store.ops->find_by_key(app->store.self, customer, key, o);
                if (r == 0)
                        return same_items(o, req) ? OE_OK : OE_IDEMPOTENCY_MISMATCH;
                if (r != -ENOENT)
                        return r;
        }
        memset(o, 0, sizeof(*o));
        if ((r = resolve_address(app, caller, req, &o->address)) != OE_OK ||
            (r = price(app, caller, req, o)) != OE_OK)
                return r;
        core_env_new_id(&app->env, o->id);
        snprintf(o->customer_id, sizeof(o->customer_id), "%s", customer);
        snprintf(o->idempotency_key, sizeof(o->idempotency_key), "%s", key);
        o->status = ORDER_PENDING;
        o->created_at = o->updated_at = core_env_now_s(&app->env);
        /* Pricing asked the catalog and took time. A caller that gave up
         * meanwhile (the saga, compensating) would find an order it never
         * heard of; its undo asks again with the same key, so storing late is
         * safe, but not storing is cheaper and leaves nothing to reject. */
        if (req->deadline_ms && core_env_now_ms(&app->env) >= req->deadline_ms)
                return OE_DEADLINE;
        r = app->store.ops->insert(app->store.self, o);
        if (r == -EEXIST && *key) { /* the same key, concurrently: answer with that order */
                r = app->store.ops->find_by_key(app->store.self, customer, key, o);
                return r < 0 ? r : same_items(o, req) ? OE_OK : OE_IDEMPOTENCY_MISMATCH;
        }
        return r < 0 ? r : OE_OK; /* o is what was stored, its seq set */
}

int order_create(struct order_app *app, const struct order_caller *caller,
                 const struct order_create_request *req, struct order *ret)
{
        bool service = caller->role & ROLE_SERVICE;
        const char *customer = service ? req->customer_id : caller->subject;
        const char *key = req->idempotency_key ? req->idempotency_key : "";
        if (!id_valid(customer, 63))
                return OE_CUSTOMER_INVALID;
        if (strlen(key) > 64)
                return OE_IDEMPOTENCY_MISMATCH;
        int r = check_items(req->items, req->n_items);
        if (r != OE_OK)
                return r;
        struct order *o = malloc(sizeof(*o));
        if (!o)
                return -ENOMEM;
        r = find_or_create(app, caller, req, customer, key, o);
        if (r == OE_OK) /* the caller's order only on success */
                *ret = *o;
        free(o);
        return r;
}

static bool sells_in(const struct order *o, const char *seller)
{
        for (size_t i = 0; i < o->n_items; i++)
                if (!strcmp(o->items[i].seller_id, seller))
                        return true;
        return false;
}

static bool may_read(const struct order *o, const struct order_caller *c)
{
        return (c->role & (ROLE_ADMIN | ROLE_SERVICE)) || !strcmp(o->customer_id, c->subject) ||
               ((c->role & ROLE_SELLER) && sells_in(o, c->subject));
}

int order_get(struct order_app *app, const struct order_caller *caller, const char *id,
              struct order *ret)
{
        int r = app->store.ops->find(app->store.self, id, ret);
        if (r == -ENOENT)
                return OE_ORDER_NOT_FOUND;
        if (r < 0)
                return r;
        return may_read(ret, caller) ? OE_OK : OE_ORDER_NOT_FOUND;
}

size_t order_page_size(int32_t requested)
{
        return page_size_clamp(requested, ORDER_PAGE_DEFAULT, ORDER_PAGE_MAX);
}

int order_list(struct order_app *app, const struct order_caller *caller,
               const struct order_list_filter *f, int32_t page_size, const char *page_token,
               struct order *ret, size_t *ret_n, char next_token[32])
{
        int64_t after;
        if (page_token_parse(page_token, 'o', &after) < 0)
                return OE_PAGE_TOKEN_INVALID;
        if (f->status && !order_status_valid(f->status))
                return OE_STATUS_INVALID;
        struct listing_filter shape; /* the ids' and time's checks, as for every listing */
        if (listing_filter_init(&shape, 0, f->ids, f->n_ids, f->updated_since, 0, "", 'o') !=
            LISTING_OK)
                return OE_FILTER_INVALID;
        if (f->book_id && *f->book_id && !id_valid(f->book_id, 63))
                return OE_FILTER_INVALID;
        size_t size = order_page_size(page_size);
        bool all = caller->role & (ROLE_ADMIN | ROLE_SERVICE);
        bool seller = !all && (caller->role & ROLE_SELLER);
        struct order_query q = {
                .customer_id = all || seller ? NULL : caller->subject,
                .seller_id = seller ? caller->subject : NULL,
                .status = f->status,
                .ids = f->ids,
                .n_ids = f->n_ids,
                .updated_since = f->updated_since,
                .book_id = f->book_id && *f->book_id ? f->book_id : NULL,
                .after_seq = after,
                .limit = size + 1,
        };
        size_t n = 0;
        int r = app->store.ops->list(app->store.self, &q, ret, &n);
        if (r < 0)
                return r;
        next_token[0] = '\0';
        if (n > size) {
                n = size;
                page_token_format('o', ret[n - 1].seq, next_token);
        }
        *ret_n = n;
        return OE_OK;
}

/* from -> to under compare-and-set, retried when another change won. */
static int transition(struct order_app *app, const char *id, enum order_status to,
                      const char *reason, bool (*allowed)(const struct order *, const void *),
                      const void *who, struct order *ret, char *explain, size_t explain_len)
{
        bool saga_step = !allowed;          /* a participant step: a late repeat finds it passed */
        if (reason && strlen(reason) > 255) /* what the order keeps of it */
                return OE_REASON_INVALID;
        for (int attempt = 0; attempt < 3; attempt++) {
                int r = app->store.ops->find(app->store.self, id, ret);
                if (r == -ENOENT)
                        return OE_ORDER_NOT_FOUND;
                if (r < 0)
                        return r;
                if (allowed && !allowed(ret, who))
                        return may_read(ret, who) ? OE_NOT_ALLOWED : OE_ORDER_NOT_FOUND;
                if (saga_step && order_status_passed(ret->status, to))
                        return OE_OK;
                if ((r = order_check_transition(ret->status, to, explain, explain_len)) != OE_OK)
                        return r;
                if (ret->status == to)
                        return OE_OK;
                enum order_status from = ret->status;
                ret->status = to;
                snprintf(ret->status_reason, sizeof(ret->status_reason), "%s",
                         reason ? reason : "");
                ret->updated_at = core_env_now_s(&app->env);
                r = app->store.ops->set_status(app->store.self, ret, from);
                if (r == -ESTALE)
                        continue;
                return r < 0 ? r : OE_OK;
        }
        return -EBUSY;
}

int order_change_status(struct order_app *app, const char *id, enum order_status to,
                        const char *reason, struct order *ret, char *explain, size_t explain_len)
{
        if (!order_status_valid(to))
                return OE_STATUS_INVALID;
        return transition(app, id, to, reason, NULL, NULL, ret, explain, explain_len);
}

static bool seller_or_admin(const struct order *o, const void *who)
{
        const struct order_caller *c = who;
        return (c->role & ROLE_ADMIN) || ((c->role & ROLE_SELLER) && sells_in(o, c->subject));
}

int order_mark(struct order_app *app, const struct order_caller *caller, const char *id,
               enum order_status to, struct order *ret, char *explain, size_t explain_len)
{
        return transition(app, id, to, NULL, seller_or_admin, caller, ret, explain, explain_len);
}

int order_request_cancel(struct order_app *app, const struct order_caller *caller, const char *id,
                         const char *reason, struct order *ret, char *explain, size_t explain_len)
{
        /* a cancellation is a saga (refund, restock, cancel): only checkout runs it */
        return OE_CANCEL_THROUGH_CHECKOUT;
}
