/* The reconciler; see reconciler.h. */
#include "reconciler.h"

#include "core/clock.h"
#include "core/listing.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct reconciler {
        struct checkout_app *app;
        pthread_mutex_t pass; /* one pass at a time */
        pthread_mutex_t lock;
        pthread_cond_t wake;
        bool stopping, started;
        pthread_t thread;
};

/* The order ids a pass looks at: each counted once against the budget
 * (max), sorted once collected. A hash set of their indexes finds repeats. */
struct candidates {
        char (*ids)[64];
        size_t n, cap, max;
        size_t *slots; /* index + 1 into ids; 0: empty; n_slots a power of two */
        size_t n_slots;
        bool truncated;
};

static size_t hash_id(const char *id)
{
        size_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *id; id++)
                h = (h ^ (unsigned char)*id) * 1099511628211ULL;
        return h;
}

/* The slot of id: its own, or the empty one where it would go. */
static size_t *slot_of(struct candidates *c, const char *id)
{
        size_t i = hash_id(id) & (c->n_slots - 1);
        while (c->slots[i] && strcmp(c->ids[c->slots[i] - 1], id))
                i = (i + 1) & (c->n_slots - 1);
        return &c->slots[i];
}

static int grow(struct candidates *c)
{
        size_t cap = c->cap ? c->cap * 2 : 256;
        void *ids = realloc(c->ids, cap * sizeof(*c->ids));
        size_t *slots = calloc(cap * 2, sizeof(*slots));
        if (!ids || !slots) {
                free(slots);
                if (ids)
                        c->ids = ids;
                return -ENOMEM;
        }
        c->ids = ids;
        c->cap = cap;
        free(c->slots);
        c->slots = slots;
        c->n_slots = cap * 2;
        for (size_t i = 0; i < c->n; i++)
                *slot_of(c, c->ids[i]) = i + 1;
        return 0;
}

static int add_candidate(struct candidates *c, const char *id)
{
        if (!*id || (c->n_slots && *slot_of(c, id)))
                return 0; /* none, or counted already */
        if (c->n == c->max) {
                c->truncated = true;
                return 0;
        }
        if (c->n == c->cap && grow(c) < 0)
                return -ENOMEM;
        snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", id);
        *slot_of(c, c->ids[c->n]) = c->n + 1;
        c->n++;
        return 0;
}

static int compare_ids(const void *a, const void *b)
{
        return strcmp(a, b);
}

/* Every page of one listing into c. */
static int collect(struct checkout_app *app, enum checkout_view_source source, int status,
                   int64_t since_s, struct candidates *c, struct checkout_view *rows)
{
        char token[PAGE_KEY_MAX + 1] = "";
        do {
                char next[PAGE_KEY_MAX + 1];
                struct checkout_view_query q = {
                        .status = status, .updated_since_s = since_s, .page_token = token};
                size_t n = 0;
                int r = app->views.ops->list(app->views.self, source, &q, rows, &n, next);
                for (size_t i = 0; r == 0 && i < n; i++)
                        r = add_candidate(c, rows[i].order_id);
                if (r < 0)
                        return r;
                memcpy(token, next, sizeof(token));
        } while (token[0] && !c->truncated);
        return 0;
}

enum {
        O_PENDING = 1,
        O_PAYMENT_AUTHORIZED = 2,
        P_AUTHORIZED = 1,
        P_AUTHORIZING = 6,
        R_RESERVED = 1
};

/* What a pass looks at, most important first, each order counted once
 * against the budget (reconcile_max_orders): the open divergences (their
 * orders, and which kinds, in opens), what holds something of any age (a
 * card hold, reserved stock, an order in a checkout's middle), and then the
 * records changed within the window -- which fill the rest of the budget
 * but can never push the first two out. */
static int gather(struct checkout_app *app, int64_t now_s, struct candidates *c,
                  struct checkout_divergence **opens, size_t *n_opens)
{
        int r = 0;
        int64_t after = 0;
        size_t page = 0;
        while (r == 0) { /* every open divergence is looked at again: is it still there? */
                struct checkout_divergence *more =
                        realloc(*opens, (*n_opens + CHECKOUT_VIEW_PAGE) * sizeof(**opens));
                if (!more) {
                        r = -ENOMEM;
                        break;
                }
                *opens = more;
                r = app->divergences.ops->open(app->divergences.self, after, *opens + *n_opens,
                                               CHECKOUT_VIEW_PAGE, &page);
                for (size_t i = 0; r == 0 && i < page; i++) {
                        after = (*opens)[*n_opens + i].seq;
                        r = add_candidate(c, (*opens)[*n_opens + i].order_id);
                }
                *n_opens += page;
                if (page < CHECKOUT_VIEW_PAGE)
                        break;
        }
        struct checkout_view *rows = calloc(CHECKOUT_VIEW_PAGE, sizeof(*rows));
        int64_t since = now_s - app->cfg.reconcile_window_ms / 1000;
        if (r == 0 && !rows)
                r = -ENOMEM;
        const struct {
                enum checkout_view_source source;
                int status;
                bool windowed;
        } listings[] = {
                {CHECKOUT_VIEW_PAYMENTS, P_AUTHORIZED, false},
                {CHECKOUT_VIEW_PAYMENTS, P_AUTHORIZING, false},
                {CHECKOUT_VIEW_RESERVATIONS, R_RESERVED, false},
                {CHECKOUT_VIEW_ORDERS, O_PENDING, false},
                {CHECKOUT_VIEW_ORDERS, O_PAYMENT_AUTHORIZED, false},
                {CHECKOUT_VIEW_ORDERS, 0, true},
                {CHECKOUT_VIEW_PAYMENTS, 0, true},
                {CHECKOUT_VIEW_RESERVATIONS, 0, true},
        };
        for (size_t i = 0; r == 0 && i < sizeof(listings) / sizeof(listings[0]) && !c->truncated;
             i++)
                r = collect(app, listings[i].source, listings[i].status,
                            listings[i].windowed ? since : 0, c, rows);
        free(rows);
        if (c->n)
                qsort(c->ids, c->n, sizeof(c->ids[0]), compare_ids);
        return r;
}

/* The three views of up to LISTING_MAX_IDS orders. */
struct chunk_views {
        struct checkout_view rows[3][CHECKOUT_VIEW_PAGE];
        size_t n[3];
};

static int fetch_views(struct checkout_app *app, const char *const *ids, size_t n,
                       struct chunk_views *v)
{
        for (int source = 0; source < 3; source++) {
                struct checkout_view_query q = {.order_ids = ids, .n_order_ids = n};
                char next[PAGE_KEY_MAX + 1];
                int r = app->views.ops->list(app->views.self, (enum checkout_view_source)source, &q,
                                             v->rows[source], &v->n[source], next);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct checkout_view *view_of(const struct chunk_views *v, int source, const char *id)
{
        for (size_t i = 0; i < v->n[source]; i++)
                if (!strcmp(v->rows[source][i].order_id, id))
                        return &v->rows[source][i];
        return NULL;
}

/* The kinds open for this order before the pass (bits). */
static unsigned open_kinds(const struct checkout_divergence *opens, size_t n, const char *id)
{
        unsigned kinds = 0;
        for (size_t i = 0; i < n; i++)
                if (!strcmp(opens[i].order_id, id))
                        kinds |= 1u << opens[i].kind;
        return kinds;
}

static bool repair(struct checkout_app *app, const char *order_id, enum divergence_kind kind)
{
        enum divergence_repair how = divergence_repair_of(kind);
        char key[128];
        snprintf(key, sizeof(key), "reconcile:%s:%s", order_id, divergence_repair_name(how));
        struct checkout_call call = {.idempotency_key = key, .trace_id = ""};
        struct checkout_reply reply = {.outcome = SAGA_OUTCOME_OK};
        if (how == DIVERGENCE_REPAIR_VOID_PAYMENT)
                app->peers.ops->payment(app->peers.self, &call, CHECKOUT_PAY_VOID, order_id,
                                        &reply);
        else if (how == DIVERGENCE_REPAIR_RELEASE_STOCK || how == DIVERGENCE_REPAIR_REJECT_ORDER)
                app->peers.ops->stock(app->peers.self, &call, CHECKOUT_STOCK_RELEASE, order_id,
                                      &reply);
        if (how == DIVERGENCE_REPAIR_REJECT_ORDER && reply.outcome == SAGA_OUTCOME_OK) {
                char reject_key[160]; /* its stock first: nothing commits it after this */
                snprintf(reject_key, sizeof(reject_key), "%s:order", key);
                struct checkout_call reject = {.idempotency_key = reject_key, .trace_id = ""};
                app->peers.ops->set_order_status(app->peers.self, &reject, order_id,
                                                 CHECKOUT_ORDER_REJECTED,
                                                 "no checkout finished this order", &reply);
        }
        if (reply.outcome != SAGA_OUTCOME_OK)
                log_msg(LOG_WARN, "divergence repair failed; tried again next pass",
                        "{s:s, s:s, s:s}", "order_id", order_id, "kind", divergence_name(kind),
                        "error", reply.error);
        return reply.outcome == SAGA_OUTCOME_OK;
}

static void found(struct checkout_app *app, const char *order_id, enum divergence_kind kind,
                  const char *detail, int64_t now_ms, struct checkout_reconcile_report *rep)
{
        bool fresh = false;
        if (app->divergences.ops->seen(app->divergences.self, order_id, kind, detail, now_ms,
                                       &fresh) < 0)
                return;
        enum divergence_repair how = divergence_repair_of(kind);
        if (fresh) {
                rep->found++;
                rep->found_by_kind[kind]++;
                log_msg(LOG_WARN, "divergence found", "{s:s, s:s, s:s, s:s}", "order_id", order_id,
                        "kind", divergence_name(kind), "detail", detail, "repair",
                        app->cfg.reconcile_repair && how ? divergence_repair_name(how)
                                                         : "none: for an operator");
        }
        if (!app->cfg.reconcile_repair || how == DIVERGENCE_REPAIR_NONE)
                return;
        if (!repair(app, order_id, kind)) {
                rep->failed++;
                return;
        }
        if (app->divergences.ops->close(app->divergences.self, order_id, kind, DIVERGENCE_REPAIRED,
                                        divergence_repair_name(how), now_ms) == 0) {
                rep->repaired++;
                rep->repaired_by_kind[kind]++;
                log_msg(LOG_INFO, "divergence repaired", "{s:s, s:s, s:s}", "order_id", order_id,
                        "kind", divergence_name(kind), "repair", divergence_repair_name(how));
        }
}

/* Compares one order's views and records what it finds. */
static void examine(struct checkout_app *app, const char *id, const struct chunk_views *v,
                    unsigned was_open, int64_t now_ms, struct checkout_reconcile_report *rep)
{
        const struct checkout_view *o = view_of(v, CHECKOUT_VIEW_ORDERS, id),
                                   *p = view_of(v, CHECKOUT_VIEW_PAYMENTS, id),
                                   *res = view_of(v, CHECKOUT_VIEW_RESERVATIONS, id);
        const struct checkout_view *all[] = {o, p, res};
        int64_t changed = 0;
        for (size_t i = 0; i < 3; i++)
                if (all[i] && all[i]->updated_s > changed)
                        changed = all[i]->updated_s;
        if (changed * 1000 > now_ms - app->cfg.reconcile_grace_ms)
                return; /* just changed: in flux, or a saga about to start */
        struct checkout_saga *saga = malloc(sizeof(*saga));
        int r = saga ? app->store.ops->find_by_order(app->store.self, id, saga) : -ENOMEM;
        /* a saga that made the order but has not recorded its id yet (its
         * coordinator stopped right after place_order) is found by its id */
        if (r == -ENOENT && o && o->saga_id[0])
                r = app->store.ops->find(app->store.self, o->saga_id, saga);
        struct order_views views = {
                .order = o ? o->status : 0,
                .payment = p ? p->status : 0,
                .reservation = res ? res->status : 0,
                .saga_running = r == 0 && !saga_is_final(saga->state.status),
        };
        free(saga);
        if (r < 0 && r != -ENOENT)
                return; /* the saga could not be read: not now */
        rep->examined++;
        unsigned kinds = reconcile_classify(&views);
        char detail[200];
        reconcile_describe(&views, detail, sizeof(detail));
        for (int k = 1; k <= DIVERGENCE_KINDS; k++) {
                unsigned bit = 1u << k;
                if (kinds & bit)
                        found(app, id, (enum divergence_kind)k, detail, now_ms, rep);
                else if ((was_open & bit) && !views.saga_running &&
                         app->divergences.ops->close(app->divergences.self, id,
                                                     (enum divergence_kind)k, DIVERGENCE_RESOLVED,
                                                     "", now_ms) == 0) {
                        rep->resolved++;
                        log_msg(LOG_INFO, "divergence resolved", "{s:s, s:s, s:s}", "order_id", id,
                                "kind", divergence_name((enum divergence_kind)k), "now", detail);
                }
        }
}

static int pass(struct checkout_app *app, struct checkout_reconcile_report *rep)
{
        memset(rep, 0, sizeof(*rep));
        int64_t now_ms = core_env_now_ms(&app->env);
        struct candidates c = {.max = (size_t)app->cfg.reconcile_max_orders};
        struct checkout_divergence *opens = NULL;
        size_t n_opens = 0;
        struct chunk_views *v = malloc(sizeof(*v));
        int r = v ? gather(app, now_ms / 1000, &c, &opens, &n_opens) : -ENOMEM;
        for (size_t first = 0; r == 0 && first < c.n; first += LISTING_MAX_IDS) {
                const char *ids[LISTING_MAX_IDS];
                size_t n = 0;
                for (size_t i = first; i < c.n && n < LISTING_MAX_IDS; i++)
                        ids[n++] = c.ids[i];
                if ((r = fetch_views(app, ids, n, v)) < 0)
                        break;
                for (size_t i = 0; i < n; i++)
                        examine(app, ids[i], v, open_kinds(opens, n_opens, ids[i]), now_ms, rep);
        }
        rep->truncated = c.truncated;
        if (r == 0)
                r = app->divergences.ops->count_open(app->divergences.self, rep->open);
        free(v);
        free(c.ids);
        free(c.slots);
        free(opens);
        return r;
}

int reconciler_run(struct reconciler *rc, struct checkout_reconcile_report *ret)
{
        pthread_mutex_lock(&rc->pass);
        int r = pass(rc->app, ret);
        pthread_mutex_unlock(&rc->pass);
        struct checkout_app *app = rc->app;
        if (r < 0)
                log_msg(LOG_WARN, "reconciliation pass failed; next one at the next interval",
                        "{s:s}", "error", strerror(-r));
        if (app->observer.ops)
                app->observer.ops->reconciled(app->observer.self, r == 0 ? ret : NULL);
        return r;
}

static void *reconciler_main(void *arg)
{
        struct reconciler *rc = arg;
        struct checkout_reconcile_report *rep = malloc(sizeof(*rep));
        pthread_mutex_lock(&rc->lock);
        while (!rc->stopping && rep) {
                int64_t until = clock_monotonic_us() + rc->app->cfg.reconcile_interval_ms * 1000;
                struct timespec ts = {.tv_sec = until / 1000000,
                                      .tv_nsec = (long)(until % 1000000) * 1000};
                pthread_cond_timedwait(&rc->wake, &rc->lock, &ts);
                if (rc->stopping)
                        break;
                pthread_mutex_unlock(&rc->lock);
                reconciler_run(rc, rep);
                pthread_mutex_lock(&rc->lock);
        }
        pthread_mutex_unlock(&rc->lock);
        free(rep);
        return NULL;
}

int reconciler_start(struct reconciler **ret, struct checkout_app *app)
{
        struct reconciler *rc = calloc(1, sizeof(*rc));
        if (!rc)
                return -ENOMEM;
        rc->app = app;
        pthread_mutex_init(&rc->pass, NULL);
        pthread_mutex_init(&rc->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&rc->wake, &attr);
        pthread_condattr_destroy(&attr);
        if (app->cfg.reconcile_interval_ms > 0 && app->views.ops) {
                if (pthread_create(&rc->thread, NULL, reconciler_main, rc)) {
                        reconciler_stop(rc);
                        return -EAGAIN;
                }
                rc->started = true;
        }
        *ret = rc;
        return 0;
}

void reconciler_stop(struct reconciler *rc)
{
        if (!rc)
                return;
        pthread_mutex_lock(&rc->lock);
        rc->stopping = true;
        pthread_cond_broadcast(&rc->wake);
        pthread_mutex_unlock(&rc->lock);
        if (rc->started)
                pthread_join(rc->thread, NULL);
        pthread_cond_destroy(&rc->wake);
        pthread_mutex_destroy(&rc->lock);
        pthread_mutex_destroy(&rc->pass);
        free(rc);
}
