/* The simulation's invariants; see sim-checks.h. */
#include "sim-checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int broken(char *why, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int broken(char *why, size_t len, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
        return -1;
}

/* Everything is read through the stores' ports, so the checks hold the
 * same on the memory stores and on MariaDB. Each lookup fills a struct of
 * the world's scratch space and returns it, or NULL when there is none. */
static const struct order *order_of_saga(struct sim_world *w, const struct checkout_saga *s,
                                         struct order *o)
{
        char key[192];
        snprintf(key, sizeof(key), "%s:place_order", s->id);
        const struct order_store *st = &w->order.store;
        if (s->order_id[0] && st->ops->find(st->self, s->order_id, o) == 0)
                return o;
        return st->ops->find_by_key(st->self, s->customer_id, key, o) == 0 ? o : NULL;
}

static const struct payment *payment_of(struct sim_world *w, const char *order_id,
                                        struct payment *p)
{
        return w->payment_real.ops->find(w->payment_real.self, order_id, p) == 0 ? p : NULL;
}

static const struct inventory_reservation *reservation_of(struct sim_world *w, const char *order_id,
                                                          struct inventory_reservation *r)
{
        const char *ids[] = {order_id};
        struct listing_filter f = {.ids = ids, .n_ids = 1, .limit = 1};
        size_t n = 0;
        const struct inventory_store *st = &w->inventory.store;
        return st->ops->list(st->self, &f, r, &n) == 0 && n == 1 ? r : NULL;
}

static bool same_money(const struct payment_money *p, const struct order_money *o)
{
        return !strcmp(p->currency, o->currency) && p->units == o->units && p->nanos == o->nanos;
}

static int check_completed(struct sim_world *w, const struct checkout_saga *s,
                           const struct order *o, char *why, size_t len)
{
        /* CONFIRMED, or moved on from it (a seller shipped it) */
        if (!o ||
            (o->status != ORDER_CONFIRMED && !order_status_passed(o->status, ORDER_CONFIRMED)))
                return broken(why, len, "saga %s COMPLETED but its order is %s", s->id,
                              o ? order_status_name(o->status) : "missing");
        struct payment pay;
        const struct payment *p = payment_of(w, o->id, &pay);
        if (!p || p->status != PAYMENT_CAPTURED || p->pending || !same_money(&p->amount, &o->total))
                return broken(why, len,
                              "saga %s COMPLETED but the payment is %d (pending %d) for %lld "
                              "units, order total %lld",
                              s->id, p ? (int)p->status : -1, p ? p->pending : -1,
                              p ? (long long)p->amount.units : -1LL, (long long)o->total.units);
        const struct payment_memory_hold *h = payment_memory_hold_of(&w->provider, o->id);
        if (!h || h->state != HOLD_CAPTURED)
                return broken(why, len, "saga %s COMPLETED but the provider's hold is %d", s->id,
                              h ? (int)h->state : -1);
        const struct inventory_reservation *r = reservation_of(w, o->id, &w->scratch_reservation);
        if (!r || r->status != RESERVATION_COMMITTED)
                return broken(why, len, "saga %s COMPLETED but its reservation is %d", s->id,
                              r ? (int)r->status : -1);
        return 0;
}

static int check_compensated(struct sim_world *w, const struct checkout_saga *s,
                             const struct order *o, char *why, size_t len)
{
        if (!o)
                return 0; /* no order was ever made: nothing else can exist for it */
        if (o->status != ORDER_REJECTED)
                return broken(why, len, "saga %s COMPENSATED but its order is %s", s->id,
                              order_status_name(o->status));
        struct payment pay;
        const struct payment *p = payment_of(w, o->id, &pay);
        if (p && (p->status == PAYMENT_AUTHORIZED || p->status == PAYMENT_CAPTURED ||
                  p->status == PAYMENT_AUTHORIZING || p->pending))
                return broken(why, len, "saga %s COMPENSATED but the payment is %d (pending %d)",
                              s->id, (int)p->status, p->pending);
        const struct payment_memory_hold *h = payment_memory_hold_of(&w->provider, o->id);
        if (h && (h->state == HOLD_AUTHORIZED || h->state == HOLD_CAPTURED))
                return broken(why, len, "saga %s COMPENSATED but the provider still holds %s (%d)",
                              s->id, h->reference, (int)h->state);
        const struct inventory_reservation *r = reservation_of(w, o->id, &w->scratch_reservation);
        if (r && (r->status == RESERVATION_RESERVED || r->status == RESERVATION_COMMITTED))
                return broken(why, len, "saga %s COMPENSATED but its reservation is %d", s->id,
                              (int)r->status);
        return 0;
}

/* Stock is conserved per book: what is on hand plus what was sold equals
 * what was stocked, and what is reserved is exactly the open reservations. */
static int check_stock(struct sim_world *w, char *why, size_t len)
{
        struct checkout_saga s;
        struct order o;
        int64_t sold[SIM_MAX_BOOKS] = {0}, reserved[SIM_MAX_BOOKS] = {0};
        for (size_t i = 0; i < w->n_sagas; i++) { /* every order is a saga's */
                const struct inventory_reservation *r = NULL;
                if (w->sagas_real.ops->find(w->sagas_real.self, w->saga_ids[i], &s) == 0 &&
                    order_of_saga(w, &s, &o))
                        r = reservation_of(w, o.id, &w->scratch_reservation);
                for (size_t k = 0; r && k < r->n_items; k++)
                        for (size_t b = 0; b < w->n_books; b++) {
                                if (strcmp(r->items[k].book_id, w->books[b]))
                                        continue;
                                if (r->status == RESERVATION_COMMITTED)
                                        sold[b] += r->items[k].quantity;
                                if (r->status == RESERVATION_RESERVED)
                                        reserved[b] += r->items[k].quantity;
                        }
        }
        for (size_t b = 0; b < w->n_books; b++) {
                struct inventory_level l;
                w->inventory.store.ops->get_level(w->inventory.store.self, w->books[b], &l);
                if (l.on_hand + sold[b] != w->initial_on_hand[b] || l.reserved != reserved[b] ||
                    l.on_hand < l.reserved)
                        return broken(why, len,
                                      "book %s: on hand %lld + sold %lld != stocked %lld, or "
                                      "reserved %lld != open reservations %lld",
                                      w->books[b], (long long)l.on_hand, (long long)sold[b],
                                      (long long)w->initial_on_hand[b], (long long)l.reserved,
                                      (long long)reserved[b]);
        }
        return 0;
}

/* Never a confirmed order with its money gone back; no hold without a payment. */
static int check_money(struct sim_world *w, char *why, size_t len)
{
        struct checkout_saga s;
        struct order o;
        struct payment pay;
        for (size_t i = 0; i < w->n_sagas; i++) {
                if (w->sagas_real.ops->find(w->sagas_real.self, w->saga_ids[i], &s) < 0 ||
                    !order_of_saga(w, &s, &o))
                        continue;
                const struct payment *p = payment_of(w, o.id, &pay);
                if (o.status == ORDER_CONFIRMED &&
                    (!p || p->status == PAYMENT_REFUNDED || p->status == PAYMENT_VOIDED))
                        return broken(why, len, "order %s CONFIRMED with payment %d", o.id,
                                      p ? (int)p->status : -1);
        }
        for (size_t i = 0; i < w->provider.n; i++) {
                const struct payment_memory_hold *h = &w->provider.holds[i];
                const struct payment *p = payment_of(w, h->key, &pay);
                bool open = h->state == HOLD_AUTHORIZED || h->state == HOLD_CAPTURED;
                if (open &&
                    (!p || (h->state == HOLD_AUTHORIZED) != (p->status == PAYMENT_AUTHORIZED)))
                        return broken(why, len, "provider hold %s (%d) untracked: payment %d",
                                      h->key, (int)h->state, p ? (int)p->status : -1);
        }
        return 0;
}

/* An operator's accepted ForceCompensate is before the pivot by its rules:
 * the saga ends COMPENSATED (a lost action would let it complete). */
static int check_forced(struct sim_world *w, const struct checkout_saga *s, char *why, size_t len)
{
        struct checkout_action a[16];
        size_t n = 0;
        w->sagas_real.ops->actions(w->sagas_real.self, s->id, a, 16, &n);
        for (size_t i = 0; i < n; i++)
                if (a[i].op == SAGA_OP_FORCE_COMPENSATE && s->state.status != SAGA_COMPENSATED)
                        return broken(why, len, "saga %s was force-compensated but ended %d", s->id,
                                      (int)s->state.status);
        return 0;
}

int sim_check(struct sim_world *w, char *why, size_t len)
{
        if (w->key_error[0])
                return broken(why, len, "%s", w->key_error);
        struct checkout_saga *s = malloc(sizeof(*s));
        int r = s ? 0 : broken(why, len, "out of memory");
        for (size_t i = 0; i < w->n_sagas && r == 0; i++) {
                if (w->sagas_real.ops->find(w->sagas_real.self, w->saga_ids[i], s) < 0) {
                        r = broken(why, len, "saga %s lost", w->saga_ids[i]);
                        break;
                }
                struct order order;
                const struct order *o = order_of_saga(w, s, &order);
                if (s->state.status == SAGA_COMPLETED)
                        r = check_completed(w, s, o, why, len);
                else if (s->state.status == SAGA_COMPENSATED)
                        r = check_compensated(w, s, o, why, len);
                else
                        r = broken(why, len, "saga %s ended %d (%s)%s", s->id, (int)s->state.status,
                                   s->state.failure_reason, s->state.stuck ? ", stuck" : "");
                if (r == 0)
                        r = check_forced(w, s, why, len);
        }
        free(s);
        if (r == 0)
                r = check_stock(w, why, len);
        if (r == 0)
                r = check_money(w, why, len);
        return r;
}
