/* Step bindings; see checkout-steps.h. */
#include "checkout-steps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*step_fn)(struct checkout_app *app, struct checkout_saga *s,
                        const struct checkout_call *call, struct checkout_reply *ret);

#define PEERS(app) ((app)->peers.ops)
#define SELF(app)  ((app)->peers.self)

/* A step that makes two different participant calls sends each under its own
 * key: "<saga id>:<step>" for the first, "<saga id>:<step>:<op>" for the other. */
static struct checkout_call second_call(const struct checkout_call *call, const char *op,
                                        char key[192])
{
        snprintf(key, 192, "%s:%s", call->idempotency_key, op);
        return (struct checkout_call){.idempotency_key = key, .trace_id = call->trace_id};
}

static void place_order(struct checkout_app *app, struct checkout_saga *s,
                        const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->create_order(SELF(app), call, s, s->order_id, &s->total, ret);
}

/* Undoes place_order. When no answer of it was seen (it timed out), asking
 * again with the same key tells whether the order exists: a definitive "no"
 * (say, a book that is not on sale) means there is nothing to reject. */
static void reject_order(struct checkout_app *app, struct checkout_saga *s,
                         const struct checkout_call *call, struct checkout_reply *ret)
{
        if (!s->order_id[0]) {
                char place_key[128];
                snprintf(place_key, sizeof(place_key), "%s:place_order", s->id);
                struct checkout_call place = {.idempotency_key = place_key,
                                              .trace_id = call->trace_id};
                PEERS(app)->create_order(SELF(app), &place, s, s->order_id, &s->total, ret);
                if (ret->outcome == SAGA_OUTCOME_BUSINESS) {
                        *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_OK};
                        return;
                }
                if (ret->outcome != SAGA_OUTCOME_OK)
                        return;
        }
        PEERS(app)->set_order_status(SELF(app), call, s->order_id, CHECKOUT_ORDER_REJECTED,
                                     s->state.failure_reason, ret);
}

static void make_payment(struct checkout_app *app, struct checkout_saga *s,
                         const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->authorize(SELF(app), call, s->order_id, s->customer_id, &s->total,
                              s->payment_token, ret);
}

/* Undoing a payment, whatever state it reached: an authorization is voided,
 * a capture refunded. The payment service refuses the wrong one, so the other
 * is tried on a definitive "no". */
static void undo_payment(struct checkout_app *app, struct checkout_saga *s,
                         const struct checkout_call *call, enum checkout_payment_op first,
                         struct checkout_reply *ret)
{
        PEERS(app)->payment(SELF(app), call, first, s->order_id, ret);
        if (ret->outcome != SAGA_OUTCOME_BUSINESS)
                return;
        bool voided = first == CHECKOUT_PAY_VOID;
        char key[192];
        struct checkout_call other = second_call(call, voided ? "refund" : "void", key);
        PEERS(app)->payment(SELF(app), &other, voided ? CHECKOUT_PAY_REFUND : CHECKOUT_PAY_VOID,
                            s->order_id, ret);
}

static void void_payment(struct checkout_app *app, struct checkout_saga *s,
                         const struct checkout_call *call, struct checkout_reply *ret)
{
        undo_payment(app, s, call, CHECKOUT_PAY_VOID, ret);
}

static void mark_authorized(struct checkout_app *app, struct checkout_saga *s,
                            const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->set_order_status(SELF(app), call, s->order_id,
                                     CHECKOUT_ORDER_PAYMENT_AUTHORIZED, "", ret);
}

static void reserve_inventory(struct checkout_app *app, struct checkout_saga *s,
                              const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->reserve(SELF(app), call, s->order_id, s->items, s->n_items, ret);
}

/* A reservation already committed into a sale cannot be released: it is
 * restocked instead (only possible when confirm was cut short). */
static void release_stock(struct checkout_app *app, struct checkout_saga *s,
                          const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->stock(SELF(app), call, CHECKOUT_STOCK_RELEASE, s->order_id, ret);
        if (ret->outcome != SAGA_OUTCOME_BUSINESS)
                return;
        char key[192];
        struct checkout_call restock = second_call(call, "restock", key);
        PEERS(app)->stock(SELF(app), &restock, CHECKOUT_STOCK_RESTOCK, s->order_id, ret);
}

static void capture_payment(struct checkout_app *app, struct checkout_saga *s,
                            const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->payment(SELF(app), call, CHECKOUT_PAY_CAPTURE, s->order_id, ret);
}

static void refund_payment(struct checkout_app *app, struct checkout_saga *s,
                           const struct checkout_call *call, struct checkout_reply *ret)
{
        undo_payment(app, s, call, CHECKOUT_PAY_REFUND, ret);
}

/* The reservation becomes a sale, then the order is CONFIRMED. */
static void confirm(struct checkout_app *app, struct checkout_saga *s,
                    const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->stock(SELF(app), call, CHECKOUT_STOCK_COMMIT, s->order_id, ret);
        if (ret->outcome != SAGA_OUTCOME_OK)
                return;
        char key[192];
        struct checkout_call order = second_call(call, "order", key);
        PEERS(app)->set_order_status(SELF(app), &order, s->order_id, CHECKOUT_ORDER_CONFIRMED, "",
                                     ret);
}

static void request_cancel(struct checkout_app *app, struct checkout_saga *s,
                           const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->set_order_status(SELF(app), call, s->order_id, CHECKOUT_ORDER_CANCEL_REQUESTED,
                                     s->reason, ret);
}

static void restock_inventory(struct checkout_app *app, struct checkout_saga *s,
                              const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->stock(SELF(app), call, CHECKOUT_STOCK_RESTOCK, s->order_id, ret);
}

static void cancel_order(struct checkout_app *app, struct checkout_saga *s,
                         const struct checkout_call *call, struct checkout_reply *ret)
{
        PEERS(app)->set_order_status(SELF(app), call, s->order_id, CHECKOUT_ORDER_CANCELLED,
                                     s->reason, ret);
}

static const struct {
        const char *name;
        step_fn run;
} bindings[] = {
        {"place_order", place_order},
        {"reject_order", reject_order},
        {"make_payment", make_payment},
        {"void_payment", void_payment},
        {"change_order_status", mark_authorized},
        {"reserve_inventory", reserve_inventory},
        {"release_stock", release_stock},
        {"capture_payment", capture_payment},
        {"refund_payment", refund_payment},
        {"confirm", confirm},
        {"request_cancel", request_cancel},
        {"restock_inventory", restock_inventory},
        {"cancel_order", cancel_order},
};

static step_fn find(const char *name)
{
        for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
                if (!strcmp(bindings[i].name, name))
                        return bindings[i].run;
        return NULL;
}

int checkout_steps_check(char *err, size_t err_len)
{
        const struct saga_def *defs[] = {&checkout_saga, &cancellation_saga};
        for (size_t d = 0; d < 2; d++)
                for (size_t i = 0; i < defs[d]->n_steps; i++) {
                        const char *names[] = {defs[d]->steps[i].name,
                                               defs[d]->steps[i].compensation};
                        for (size_t k = 0; k < 2; k++)
                                if (names[k] && !find(names[k])) {
                                        snprintf(err, err_len, "saga step %s has no binding",
                                                 names[k]);
                                        return -EINVAL;
                                }
                }
        return 0;
}

void checkout_step_run(struct checkout_app *app, struct checkout_saga *s, const char *name,
                       const struct checkout_call *call, struct checkout_reply *ret)
{
        step_fn run = find(name);
        *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_BUSINESS};
        if (!run) {
                snprintf(ret->error, sizeof(ret->error), "INTERNAL: step %s has no binding", name);
                return;
        }
        run(app, s, call, ret);
}
