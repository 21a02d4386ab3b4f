/* Scripted worlds for the reproductions that started the saga protocol work
 * (docs/design-notes.md, "The saga protocol"): each failed before the fix
 * that names it and must pass now. */
#include "sim-checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_faults none = {0};

static int finish(struct sim_world *w, const char *name, int r, const char *why)
{
        char broke[512] = "";
        if (r == 0 && !sim_run(w, 3600 * 1000)) {
                r = -1;
                why = "did not settle";
        }
        if (r == 0 && sim_check(w, broke, sizeof(broke)) < 0) {
                r = -1;
                why = broke;
        }
        if (r < 0)
                printf("FAILED: regression %s: %s\n--- trace ---\n%s--- end ---\n", name, why,
                       w->trace ? w->trace : "");
        return r;
}

/* Frees a scenario's world and saga copy; passes r on. */
static int release(struct sim_world *w, struct checkout_saga *s, int r)
{
        if (w)
                sim_world_free(w);
        free(w);
        free(s);
        return r;
}

static const struct checkout_saga *saga(struct sim_world *w, struct checkout_saga *s)
{
        return w->sagas_real.ops->find(w->sagas_real.self, w->saga_ids[0], s) == 0 ? s : NULL;
}

/* 1. A compensation overtook its action: the authorization was slow, the
 * saga gave up and voided, and the hold was made after the void found
 * nothing. Now a void that comes first leaves a fence the late
 * authorization is refused by (the provider never hears of it), and a void
 * that comes while the provider works settles that authorization and voids
 * the hold. `late_by_ms` picks which: after the give-up, or during. */
static int slow_authorization_loses_to_its_void(const char *name, int64_t late_by_ms,
                                                bool provider_asked)
{
        struct sim_world *w = malloc(sizeof(*w));
        struct checkout_saga *s = malloc(sizeof(*s));
        int r = w && s ? 0 : -1;
        if (r == 0) {
                r = sim_world_init(w, 1, &none);
                if (r < 0)
                        return release(w, s, r);
                w->app.cfg.step_deadline_ms = 1500; /* gives up while the first is still out */
                sim_add_book(w, "book-0", 3, 10);
                struct checkout_item item = {.book_id = "book-0", .quantity = 1};
                w->script.late[SIM_AUTHORIZE] = 2;
                w->script.late_by_ms = late_by_ms;
                sim_place(w, "cust-0", &item, 1, "tok_ok");
        }
        r = r ? r : finish(w, name, 0, "");
        const struct payment_memory_hold *h =
                r ? NULL : payment_memory_hold_of(&w->provider, saga(w, s)->order_id);
        bool want = provider_asked ? h && h->state == HOLD_VOIDED : !h;
        if (r == 0 && (saga(w, s)->state.status != SAGA_COMPENSATED || !want)) {
                printf("FAILED: regression %s: saga %d, hold %d\n%s", name, (int)s->state.status,
                       h ? (int)h->state : -1, w->trace);
                r = -1;
        }
        return release(w, s, r);
}

/* 2. The last step was compensated after it took effect: the coordinator died
 * after CommitReservation and ChangeOrderStatus(CONFIRMED) answered, and at
 * resume inventory was down; confirm ran out of attempts and the saga refunded
 * and restocked a confirmed order. Past the pivot it now only moves forward. */
static int confirm_in_flight_at_a_crash_with_inventory_down(void)
{
        struct sim_world *w = malloc(sizeof(*w));
        struct checkout_saga *s = malloc(sizeof(*s));
        int r = w && s ? 0 : -1;
        if (r == 0) {
                r = sim_world_init(w, 2, &none);
                if (r < 0)
                        return release(w, s, r);
                w->app.cfg.policy.max_attempts = 5; /* the old default: it must not matter now */
                sim_add_book(w, "book-0", 5, 10);
                struct checkout_item item = {.book_id = "book-0", .quantity = 2};
                w->script.crash_after[SIM_SET_STATUS] = 1;
                w->script.crash_after_op = CHECKOUT_ORDER_CONFIRMED;
                /* inventory down from the crash on, for longer than any retry budget */
                w->script.down_until_ms[SIM_STOCK] = 90000;
                sim_place(w, "cust-0", &item, 1, "tok_ok");
        }
        r = r ? r : finish(w, "confirm-at-crash", 0, "");
        if (r == 0 &&
            (saga(w, s)->state.status != SAGA_COMPLETED || w->stats.coordinator_crashes != 1)) {
                printf("FAILED: regression confirm-at-crash: saga %d, want COMPLETED after one "
                       "crash\n%s",
                       (int)s->state.status, w->trace);
                r = -1;
        }
        return release(w, s, r);
}

/* 3. Confirm applied but not recorded (the coordinator died after it), and
 * the seller shipped the order before the coordinator came back: confirm's
 * ChangeOrderStatus(CONFIRMED) found SHIPPED and was refused, retried forever
 * past the pivot. A status the order can only have reached through CONFIRMED
 * now answers that step as done. */
static void seller_ships(struct sim_world *w)
{
        struct checkout_saga s;
        struct order o;
        char explain[256];
        const struct order_caller seller = {.subject = "seller-1", .role = ROLE_SELLER};
        int r = saga(w, &s) ? order_mark(&w->order, &seller, s.order_id, ORDER_SHIPPED, &o, explain,
                                         sizeof(explain))
                            : -1;
        sim_trace(w, "the seller ships order %s: %d %s", s.order_id, r, r ? explain : "");
}

static int confirm_resumed_after_the_seller_shipped(void)
{
        struct sim_world *w = malloc(sizeof(*w));
        struct checkout_saga *s = malloc(sizeof(*s));
        int r = w && s ? 0 : -1;
        if (r == 0) {
                r = sim_world_init(w, 3, &none);
                if (r < 0)
                        return release(w, s, r);
                sim_add_book(w, "book-0", 5, 10);
                struct checkout_item item = {.book_id = "book-0", .quantity = 1};
                w->script.crash_after[SIM_SET_STATUS] = 1;
                w->script.crash_after_op = CHECKOUT_ORDER_CONFIRMED;
                w->script.while_down = seller_ships;
                sim_place(w, "cust-0", &item, 1, "tok_ok");
        }
        r = r ? r : finish(w, "ship-before-confirm-recorded", 0, "");
        struct order o;
        if (r == 0 && (saga(w, s)->state.status != SAGA_COMPLETED ||
                       w->order.store.ops->find(w->order.store.self, s->order_id, &o) != 0 ||
                       o.status != ORDER_SHIPPED)) {
                printf("FAILED: regression ship-before-confirm-recorded: saga %d, want "
                       "COMPLETED with the order SHIPPED\n%s",
                       (int)s->state.status, w->trace);
                r = -1;
        }
        return release(w, s, r);
}

int sim_regressions(void)
{
        int r = slow_authorization_loses_to_its_void("void-before-authorization", 4200, false);
        if (r == 0)
                r = slow_authorization_loses_to_its_void("void-during-authorization", 1000, true);
        if (r == 0)
                r = confirm_in_flight_at_a_crash_with_inventory_down();
        if (r == 0)
                r = confirm_resumed_after_the_seller_shipped();
        return r;
}
