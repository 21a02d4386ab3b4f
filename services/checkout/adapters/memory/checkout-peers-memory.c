/* The checkout participants in process; see checkout-peers-memory.h. */
#include "checkout-peers-memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct order_caller saga_caller = {.subject = "service:checkout",
                                                .role = ROLE_SERVICE};

static void ok(struct checkout_reply *ret)
{
        *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_OK};
}

static void refused(struct checkout_reply *ret, const char *code, const char *message)
{
        ret->outcome = SAGA_OUTCOME_BUSINESS;
        snprintf(ret->error, sizeof(ret->error), "%s: %s", code, message ? message : "");
}

/* An infrastructure failure of the participant: it may have acted. */
static void maybe(struct checkout_reply *ret, const char *code, const char *message)
{
        ret->outcome = SAGA_OUTCOME_MAYBE_APPLIED;
        snprintf(ret->error, sizeof(ret->error), "%s: %s", code, message);
}

static void from_errno(struct checkout_reply *ret, int r)
{
        maybe(ret, "UNAVAILABLE", strerror(-r));
}

static void order_reply(int r, const char *explain, struct checkout_reply *ret)
{
        if (r < 0)
                return from_errno(ret, r);
        if (r == OE_OK)
                return ok(ret);
        refused(ret, "FAILED_PRECONDITION", explain && *explain ? explain : order_error_message(r));
}

static void mem_create_order(void *self, const struct checkout_call *call,
                             const struct checkout_saga *s, char order_id[64],
                             struct checkout_money *total, struct checkout_reply *ret)
{
        struct checkout_peers_memory *p = self;
        struct order_item_request items[CHECKOUT_MAX_ITEMS];
        for (size_t i = 0; i < s->n_items; i++)
                items[i] = (struct order_item_request){s->items[i].book_id, s->items[i].quantity};
        struct order_address a;
        memcpy(a.recipient, s->address.recipient, sizeof(a.recipient));
        memcpy(a.line1, s->address.line1, sizeof(a.line1));
        memcpy(a.line2, s->address.line2, sizeof(a.line2));
        memcpy(a.city, s->address.city, sizeof(a.city));
        memcpy(a.postal_code, s->address.postal_code, sizeof(a.postal_code));
        memcpy(a.country_code, s->address.country_code, sizeof(a.country_code));
        struct order_create_request req = {.items = items,
                                           .n_items = s->n_items,
                                           .shipping_address_id = "",
                                           .inline_address = &a,
                                           .idempotency_key = call->idempotency_key,
                                           .customer_id = s->customer_id};
        struct order *o = malloc(sizeof(*o)); /* large: 50 items with titles */
        if (!o)
                return from_errno(ret, -ENOMEM);
        int r = order_create(p->order, &saga_caller, &req, o);
        order_reply(r, NULL, ret);
        if (r == OE_OK) {
                snprintf(order_id, 64, "%s", o->id);
                snprintf(total->currency, sizeof(total->currency), "%s", o->total.currency);
                total->units = o->total.units;
                total->nanos = o->total.nanos;
        }
        free(o);
}

static void mem_set_order_status(void *self, const struct checkout_call *call, const char *order_id,
                                 enum checkout_order_status status, const char *reason,
                                 struct checkout_reply *ret)
{
        struct checkout_peers_memory *p = self;
        struct order *o = malloc(sizeof(*o));
        char explain[300] = "";
        if (!o)
                return from_errno(ret, -ENOMEM);
        char why[256];
        snprintf(why, sizeof(why), "%.200s", reason ? reason : "");
        int r = order_change_status(p->order, order_id, (enum order_status)status, why, o, explain,
                                    sizeof(explain));
        order_reply(r, explain, ret);
        free(o);
}

static void payment_reply(int r, struct checkout_reply *ret)
{
        enum error_kind kind;
        if (r < 0)
                return from_errno(ret, r);
        if (r == PE_OK)
                return ok(ret);
        if (payment_error_kind(r, &kind) == 0 && kind == ERROR_UNAVAILABLE)
                return maybe(ret, "UNAVAILABLE", payment_error_message(r));
        if (payment_error_kind(r, &kind) == 0 && kind == ERROR_DEADLINE)
                return maybe(ret, "DEADLINE_EXCEEDED", payment_error_message(r));
        refused(ret, "FAILED_PRECONDITION", payment_error_message(r));
}

static void mem_authorize(void *self, const struct checkout_call *call, const char *order_id,
                          const char *customer_id, const struct checkout_money *amount,
                          const char *token, struct checkout_reply *ret)
{
        struct checkout_peers_memory *p = self;
        struct payment_authorize_request req = {.order_id = order_id,
                                                .customer_id = customer_id,
                                                .token = token,
                                                .deadline_left_ms = p->deadline_left_ms};
        snprintf(req.amount.currency, sizeof(req.amount.currency), "%s", amount->currency);
        req.amount.units = amount->units;
        req.amount.nanos = amount->nanos;
        struct payment pay;
        int r = payment_authorize(p->payment, &req, &pay);
        payment_reply(r, ret);
        if (r == PE_OK && pay.status == PAYMENT_DECLINED) {
                ret->outcome = SAGA_OUTCOME_BUSINESS;
                snprintf(ret->error, sizeof(ret->error), "payment declined: %s",
                         pay.decline_reason);
        } else if (r == PE_OK && pay.status != PAYMENT_AUTHORIZED) {
                refused(ret, "FAILED_PRECONDITION", "payment is not authorized");
        }
}

static void mem_payment(void *self, const struct checkout_call *call, enum checkout_payment_op op,
                        const char *order_id, struct checkout_reply *ret)
{
        struct checkout_peers_memory *p = self;
        static const enum payment_action actions[] = {[CHECKOUT_PAY_CAPTURE] = PAY_CAPTURE,
                                                      [CHECKOUT_PAY_VOID] = PAY_VOID,
                                                      [CHECKOUT_PAY_REFUND] = PAY_REFUND};
        struct payment pay;
        payment_reply(payment_apply(p->payment, order_id, actions[op], &pay), ret);
}

static void inventory_reply(int r, const char *message, struct checkout_reply *ret)
{
        if (r < 0)
                return from_errno(ret, r);
        if (r == IE_OK)
                return ok(ret);
        refused(ret, "FAILED_PRECONDITION",
                message && *message ? message : inventory_error_message(r));
}

static void mem_reserve(void *self, const struct checkout_call *call, const char *order_id,
                        const struct checkout_item *items, size_t n, struct checkout_reply *ret)
{
        struct checkout_peers_memory *p = self;
        if (p->deadline_left_ms == 0) /* as the gRPC adapter: nothing behind the caller's back */
                return maybe(ret, "DEADLINE_EXCEEDED", "nothing was changed");
        struct inventory_item stock[CHECKOUT_MAX_ITEMS];
        for (size_t i = 0; i < n; i++) {
                snprintf(stock[i].book_id, sizeof(stock[i].book_id), "%s", items[i].book_id);
                stock[i].quantity = items[i].quantity;
        }
        struct inventory_reservation *res = malloc(sizeof(*res));
        char message[256] = "";
        if (!res)
                return from_errno(ret, -ENOMEM);
        int r = inventory_reserve(p->inventory, order_id, stock, n, -1, res, message,
                                  sizeof(message));
        inventory_reply(r, r == IE_INSUFFICIENT ? message : NULL, ret);
        free(res);
}

static void mem_stock(void *self, const struct checkout_call *call, enum checkout_stock_op op,
                      const char *order_id, struct checkout_reply *ret)
{
        struct checkout_peers_memory *p = self;
        static const enum inventory_action actions[] = {[CHECKOUT_STOCK_RELEASE] = ACTION_RELEASE,
                                                        [CHECKOUT_STOCK_COMMIT] = ACTION_COMMIT,
                                                        [CHECKOUT_STOCK_RESTOCK] = ACTION_RESTOCK};
        struct inventory_reservation *res = malloc(sizeof(*res));
        if (!res)
                return from_errno(ret, -ENOMEM);
        inventory_reply(inventory_apply(p->inventory, order_id, actions[op], res), NULL, ret);
        free(res);
}

static int mem_order_of(void *self, const char *order_id, const char *authorization,
                        struct checkout_order_view *ret)
{
        struct checkout_peers_memory *p = self;
        struct order *o = malloc(sizeof(*o));
        if (!o)
                return -ENOMEM;
        int r = p->order->store.ops->find(p->order->store.self, order_id, o);
        if (r == 0) {
                snprintf(ret->customer_id, sizeof(ret->customer_id), "%s", o->customer_id);
                ret->status = (int)o->status;
                ret->n_sellers = 0;
                for (size_t i = 0; i < o->n_items && i < CHECKOUT_MAX_ITEMS; i++)
                        snprintf(ret->sellers[ret->n_sellers++], sizeof(ret->sellers[0]), "%s",
                                 o->items[i].seller_id);
        }
        free(o);
        return r;
}

static int mem_saved_address(void *self, const char *address_id, const char *authorization,
                             struct checkout_address *ret)
{
        return -ENOENT; /* no identity in process: addresses come inline */
}

static const struct checkout_participants_ops memory_ops = {
        .create_order = mem_create_order,
        .set_order_status = mem_set_order_status,
        .authorize = mem_authorize,
        .payment = mem_payment,
        .reserve = mem_reserve,
        .stock = mem_stock,
        .order_of = mem_order_of,
        .saved_address = mem_saved_address,
};

struct checkout_participants checkout_peers_memory(struct checkout_peers_memory *p)
{
        return (struct checkout_participants){.ops = &memory_ops, .self = p};
}
