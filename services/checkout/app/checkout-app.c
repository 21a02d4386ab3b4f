/* Checkout use cases; see checkout-app.h. */
#include "checkout-app.h"

#include "checkout-steps.h"
#include "core/clock.h"
#include "core/ids.h"
#include "saga-hub.h"
#include "reconciler.h"
#include "saga-runner.h"
#include "core/page.h"
#include "core/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STORE_POLL_MS = 500, WATCH_SLICE_MS = 50 };

int checkout_app_start(struct checkout_app *app)
{
        char err[128];
        int r = checkout_steps_check(err, sizeof(err));
        if (r == 0)
                r = saga_hub_new(&app->hub);
        if (r == 0 && (r = saga_runner_start(&app->runner, app)) < 0) {
                saga_hub_free(app->hub);
                app->hub = NULL;
        }
        if (r == 0 && app->views.ops && (r = reconciler_start(&app->reconciler, app)) < 0) {
                saga_runner_stop(app->runner);
                saga_hub_free(app->hub);
                app->runner = NULL;
                app->hub = NULL;
        }
        return r;
}

void checkout_app_stop(struct checkout_app *app)
{
        reconciler_stop(app->reconciler);
        app->reconciler = NULL;
        if (app->hub)
                saga_hub_close(app->hub);
        saga_runner_stop(app->runner);
        saga_hub_free(app->hub);
        app->runner = NULL;
        app->hub = NULL;
}

static bool same_state(const struct checkout_saga *a, const struct checkout_saga *b)
{
        if (a->updated_ms != b->updated_ms || a->state.status != b->state.status ||
            a->state.current != b->state.current)
                return false;
        for (size_t i = 0; i < SAGA_MAX_STEPS; i++)
                if (a->state.steps[i] != b->state.steps[i] ||
                    a->state.attempts[i] != b->state.attempts[i])
                        return false;
        return true;
}

/* Follows the saga until it is final or the wait ends; *s is the latest
 * state seen. The hub gives local changes at once; the store is read now and
 * then for sagas another replica drives. `sub`, when given, was subscribed
 * before the saga started (so nothing can have been missed) and is released
 * here. */
static void wait_for(struct checkout_app *app, struct checkout_saga *s,
                     const struct checkout_wait *wait, struct saga_sub *sub)
{
        struct checkout_saga *fresh = NULL;
        if (saga_is_final(s->state.status) || wait->ms <= 0 || !(fresh = malloc(sizeof(*fresh))))
                goto out;
        if (!sub) {
                sub = saga_hub_subscribe(app->hub, s->id);
                if (app->store.ops->find(app->store.self, s->id, fresh) == 0)
                        *s = *fresh; /* whatever happened before we subscribed */
        }
        int64_t until = clock_monotonic_ms() + wait->ms;
        while (!saga_is_final(s->state.status) && !(wait->stop && wait->stop(wait->ctx))) {
                int64_t left = until - clock_monotonic_ms();
                if (left <= 0)
                        break;
                if (sub && saga_hub_wait(app->hub, sub, left < STORE_POLL_MS ? left : STORE_POLL_MS,
                                         fresh)) {
                        *s = *fresh;
                        continue;
                }
                if (saga_hub_closed(app->hub))
                        break;
                if (app->store.ops->find(app->store.self, s->id, fresh) == 0)
                        *s = *fresh;
        }
out:
        free(fresh);
        saga_hub_unsubscribe(app->hub, sub);
}

int checkout_config_check(const struct checkout_config *cfg, int64_t call_ms, char *err,
                          size_t err_len)
{
        /* between two writes: a step's calls (confirm and the undos make two),
         * or one backoff (+50% jitter) -- the longer, with both counted */
        int64_t needed = 2 * call_ms + cfg->policy.max_delay_ms * 3 / 2;
        if (cfg->lease_ms > needed)
                return 0;
        snprintf(err, err_len,
                 "BOOKSTORE_CHECKOUT_LEASE_MS (%lld) must be longer than "
                 "2 x BOOKSTORE_PEER_TIMEOUT_MS plus 1.5 x BOOKSTORE_CHECKOUT_RETRY_MAX_MS (%lld): "
                 "a step's two participant calls after a backoff must end inside the lease, or "
                 "another coordinator takes the saga while a call is out",
                 (long long)cfg->lease_ms, (long long)needed);
        return -EINVAL;
}

/* Stores a new saga under this coordinator's lease and starts it, followed
 * from before its first step (*ret_sub). -EEXIST: the customer's key is
 * taken (a concurrent twin). */
int checkout_saga_insert(struct checkout_app *app, struct checkout_saga *s)
{
        int64_t now = core_env_now_ms(&app->env);
        if (!s->id[0])
                core_env_new_id(&app->env, s->id);
        saga_start(checkout_def_of(s->kind), &s->state);
        s->state.steps[0] = SAGA_STEP_RUNNING; /* driven at once */
        s->state.in_flight = true;
        s->created_ms = s->updated_ms = s->log[0].started_ms = s->log[0].updated_ms = now;
        return app->store.ops->insert(app->store.self, s, app->cfg.owner, app->cfg.lease_ms);
}

static int start(struct checkout_app *app, struct checkout_saga *s, struct saga_sub **ret_sub)
{
        core_env_new_id(&app->env, s->id); /* followed from before it starts */
        *ret_sub = saga_hub_subscribe(app->hub, s->id);
        int r = checkout_saga_insert(app, s);
        if (r == 0)
                r = saga_runner_submit(app->runner, s);
        if (r < 0) {
                saga_hub_unsubscribe(app->hub, *ret_sub);
                *ret_sub = NULL;
        }
        return r;
}

static bool has_address_id(const struct checkout_place_request *req)
{
        return req->shipping_address_id && *req->shipping_address_id;
}

static int resolve_address(struct checkout_app *app, const struct checkout_caller *caller,
                           const struct checkout_place_request *req, struct checkout_address *out)
{
        if (has_address_id(req)) {
                int r = app->peers.ops->saved_address(app->peers.self, req->shipping_address_id,
                                                      caller->authorization, out);
                return r == -ENOENT ? CE_ADDRESS_NOT_FOUND : r;
        }
        if (!req->inline_address)
                return CE_ADDRESS_INVALID;
        *out = *req->inline_address;
        return checkout_check_address(out);
}

/* A repeat with the key must ask for the same checkout: books, token and
 * the address (the same saved one, or the same lines given inline). A saga
 * stored before its saved address id was (none recorded) is compared by the
 * lines that id names now. */
static int same_checkout(struct checkout_app *app, const struct checkout_caller *caller,
                         const struct checkout_saga *s, const struct checkout_place_request *req)
{
        bool same_address;
        if (has_address_id(req) && s->address_id[0]) {
                same_address = !strcmp(s->address_id, req->shipping_address_id);
        } else if (has_address_id(req)) {
                struct checkout_address saved;
                int r = resolve_address(app, caller, req, &saved);
                if (r != CE_OK && r != CE_ADDRESS_NOT_FOUND)
                        return r;
                same_address = r == CE_OK && checkout_same_address(&saved, &s->address);
        } else {
                struct checkout_address a = *req->inline_address; /* checked by the caller */
                same_address = !s->address_id[0] && checkout_check_address(&a) == CE_OK &&
                               checkout_same_address(&a, &s->address);
        }
        return same_address &&
                               checkout_same_items(s->items, s->n_items, req->items,
                                                   req->n_items) &&
                               !strcmp(s->payment_token, req->payment_token)
                       ? CE_OK
                       : CE_KEY_REUSED;
}

int checkout_place(struct checkout_app *app, const struct checkout_caller *caller,
                   const struct checkout_place_request *req, const struct checkout_wait *wait,
                   struct checkout_saga *ret)
{
        int r = checkout_check_key(req->idempotency_key);
        if (r == CE_OK)
                r = checkout_check_token(req->payment_token);
        if (r == CE_OK)
                r = checkout_check_items(req->items, req->n_items);
        if (r == CE_OK && has_address_id(req) && !id_valid(req->shipping_address_id, 63))
                r = CE_ADDRESS_INVALID;
        if (r == CE_OK && !has_address_id(req)) {
                struct checkout_address a = {0};
                r = req->inline_address ? (a = *req->inline_address, checkout_check_address(&a))
                                        : CE_ADDRESS_INVALID;
        }
        if (r != CE_OK)
                return r;
        r = app->store.ops->find_by_key(app->store.self, caller->subject, CHECKOUT_KIND_CHECKOUT,
                                        req->idempotency_key, ret);
        if (r == 0) { /* a retry: the same saga, never a second order */
                if ((r = same_checkout(app, caller, ret, req)) == CE_OK)
                        wait_for(app, ret, wait, NULL);
                return r;
        }
        if (r != -ENOENT)
                return r;
        memset(ret, 0, sizeof(*ret));
        if ((r = resolve_address(app, caller, req, &ret->address)) != CE_OK)
                return r;
        ret->kind = CHECKOUT_KIND_CHECKOUT;
        snprintf(ret->customer_id, sizeof(ret->customer_id), "%s", caller->subject);
        snprintf(ret->idempotency_key, sizeof(ret->idempotency_key), "%s", req->idempotency_key);
        snprintf(ret->address_id, sizeof(ret->address_id), "%s",
                 has_address_id(req) ? req->shipping_address_id : "");
        snprintf(ret->payment_token, sizeof(ret->payment_token), "%s", req->payment_token);
        snprintf(ret->trace_id, sizeof(ret->trace_id), "%s",
                 caller->trace_id ? caller->trace_id : "");
        memcpy(ret->items, req->items, req->n_items * sizeof(*req->items));
        ret->n_items = req->n_items;
        struct saga_sub *sub = NULL;
        r = start(app, ret, &sub);
        if (r == -EEXIST) { /* the same key, concurrently: answer with that saga */
                r = app->store.ops->find_by_key(app->store.self, caller->subject,
                                                CHECKOUT_KIND_CHECKOUT, req->idempotency_key, ret);
                if (r == 0)
                        r = same_checkout(app, caller, ret, req);
        }
        if (r == CE_OK)
                wait_for(app, ret, wait, sub);
        return r;
}

static bool sells_in(const struct checkout_order_view *o, const char *seller)
{
        for (size_t i = 0; i < o->n_sellers; i++)
                if (!strcmp(o->sellers[i], seller))
                        return true;
        return false;
}

/* The cancellation saga of order_id, asked by its customer or an admin, or
 * (by_seller) refused by a seller of a book in it; why goes to the order. */
static int cancellation(struct checkout_app *app, const struct checkout_caller *caller,
                        const char *order_id, bool by_seller, const char *why,
                        const struct checkout_wait *wait, struct checkout_saga *ret)
{
        struct checkout_order_view *o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        int r = app->peers.ops->order_of(app->peers.self, order_id, caller->authorization, o);
        char customer[64];
        int status = o->status;
        snprintf(customer, sizeof(customer), "%s", o->customer_id);
        bool allowed = by_seller
                               ? (caller->role & ROLE_SELLER) && sells_in(o, caller->subject)
                               : !strcmp(customer, caller->subject) || (caller->role & ROLE_ADMIN);
        free(o);
        if (r == -ENOENT)
                return CE_ORDER_NOT_FOUND;
        if (r < 0)
                return r;
        if (!allowed)
                return by_seller ? CE_NOT_SELLER : CE_NOT_ALLOWED;
        char key[72];
        snprintf(key, sizeof(key), "cancel:%s", order_id);
        r = app->store.ops->find_by_key(app->store.self, customer, CHECKOUT_KIND_CANCELLATION, key,
                                        ret);
        if (r == 0) { /* one cancellation per order: asking again follows it */
                wait_for(app, ret, wait, NULL);
                return CE_OK;
        }
        if (r != -ENOENT)
                return r;
        if (!checkout_order_cancellable(status))
                return by_seller ? CE_NOT_REFUSABLE : CE_NOT_CANCELLABLE;
        /* the order is CONFIRMED before its checkout recorded the end: undoing
         * the sale now would race the checkout's confirm */
        r = app->store.ops->find_by_order(app->store.self, order_id, ret);
        if (r == 0 && ret->kind == CHECKOUT_KIND_CHECKOUT && !saga_is_final(ret->state.status))
                return CE_CHECKOUT_UNFINISHED;
        if (r < 0 && r != -ENOENT)
                return r;
        memset(ret, 0, sizeof(*ret));
        ret->kind = CHECKOUT_KIND_CANCELLATION;
        snprintf(ret->customer_id, sizeof(ret->customer_id), "%s", customer);
        snprintf(ret->idempotency_key, sizeof(ret->idempotency_key), "%s", key);
        snprintf(ret->order_id, sizeof(ret->order_id), "%s", order_id);
        snprintf(ret->reason, sizeof(ret->reason), "%s", why);
        snprintf(ret->trace_id, sizeof(ret->trace_id), "%s",
                 caller->trace_id ? caller->trace_id : "");
        struct saga_sub *sub = NULL;
        r = start(app, ret, &sub);
        if (r == -EEXIST)
                r = app->store.ops->find_by_key(app->store.self, customer,
                                                CHECKOUT_KIND_CANCELLATION, key, ret);
        if (r == 0)
                wait_for(app, ret, wait, sub);
        return r;
}

int checkout_cancel(struct checkout_app *app, const struct checkout_caller *caller,
                    const char *order_id, const char *reason, const struct checkout_wait *wait,
                    struct checkout_saga *ret)
{
        if (!order_id || !*order_id || strlen(order_id) > 63)
                return CE_ORDER_ID_INVALID;
        if (reason && strlen(reason) > 200)
                return CE_REASON_INVALID;
        return cancellation(app, caller, order_id, false,
                            reason && *reason ? reason : "cancelled by request", wait, ret);
}

int checkout_refuse(struct checkout_app *app, const struct checkout_caller *caller,
                    const char *order_id, const char *reason, const struct checkout_wait *wait,
                    struct checkout_saga *ret)
{
        if (!order_id || !*order_id || strlen(order_id) > 63)
                return CE_ORDER_ID_INVALID;
        if (!utf8_line_ok(reason, CHECKOUT_REFUSAL_REASON_MAX))
                return CE_REFUSAL_REASON_INVALID;
        char why[sizeof(ret->reason)];
        snprintf(why, sizeof(why), "refused by the seller: %s", reason);
        return cancellation(app, caller, order_id, true, why, wait, ret);
}

static bool may_see(const struct checkout_caller *caller, const struct checkout_saga *s)
{
        return (caller->role & ROLE_ADMIN) || !strcmp(s->customer_id, caller->subject);
}

int checkout_get(struct checkout_app *app, const struct checkout_caller *caller,
                 const char *saga_id, const char *order_id, struct checkout_saga *ret)
{
        bool by_saga = saga_id && *saga_id, by_order = order_id && *order_id;
        if (by_saga == by_order)
                return CE_ID_INVALID;
        if (!id_valid(by_saga ? saga_id : order_id, 64))
                return CE_SAGA_NOT_FOUND; /* no saga or order has such an id */
        int r = by_saga ? app->store.ops->find(app->store.self, saga_id, ret)
                        : app->store.ops->find_by_order(app->store.self, order_id, ret);
        if (r == -ENOENT || (r == 0 && !may_see(caller, ret)))
                return CE_SAGA_NOT_FOUND; /* others' sagas do not exist for them */
        return r;
}

static bool filter_id_valid(const char *id)
{
        return !id || !*id || id_valid(id, 63);
}

int checkout_list(struct checkout_app *app, const struct checkout_list_filter *f, int32_t page_size,
                  const char *page_token, struct checkout_saga *ret, size_t *ret_n,
                  char next_token[32])
{
        if ((int)f->status < 0 || f->status > SAGA_FAILED || (int)f->kind < 0 ||
            f->kind > CHECKOUT_KIND_CANCELLATION)
                return CE_FILTER_INVALID;
        if (!filter_id_valid(f->customer_id) || !filter_id_valid(f->order_id) ||
            !filter_id_valid(f->step) || f->min_age_s < 0 || f->min_age_s > INT64_MAX / 2000)
                return CE_OP_FILTER_INVALID;
        size_t size = page_size_clamp(page_size, CHECKOUT_PAGE_DEFAULT, CHECKOUT_PAGE_MAX);
        struct checkout_query q = {.status = f->status,
                                   .kind = f->kind,
                                   .stuck_only = f->stuck_only,
                                   .created_before_ms = f->min_age_s ? core_env_now_ms(&app->env) -
                                                                               f->min_age_s * 1000
                                                                     : 0,
                                   .customer_id = f->customer_id,
                                   .order_id = f->order_id,
                                   .step = f->step,
                                   .limit = size + 1};
        /* newest first: the token is the last row's seq, and seq 0 never exists */
        if (page_token_parse(page_token, 's', &q.before_seq) < 0 ||
            (page_token && *page_token && q.before_seq == 0))
                return CE_PAGE_TOKEN_INVALID;
        size_t n = 0;
        int r = app->store.ops->list(app->store.self, &q, ret, &n);
        if (r < 0)
                return r;
        next_token[0] = '\0';
        if (n > size) {
                n = size;
                page_token_format('s', ret[n - 1].seq, next_token);
        }
        *ret_n = n;
        return CE_OK;
}

int checkout_watch(struct checkout_app *app, const struct checkout_caller *caller,
                   const char *saga_id, checkout_emit_fn emit, void *emit_ctx,
                   bool (*stop)(void *ctx), void *stop_ctx)
{
        if (!saga_id || !*saga_id)
                return CE_ID_INVALID;
        struct checkout_saga *last = malloc(sizeof(*last)), *fresh = malloc(sizeof(*fresh));
        struct saga_sub *sub = NULL;
        int r = !last || !fresh ? -ENOMEM : checkout_get(app, caller, saga_id, NULL, last);
        if (r == CE_OK && !(sub = saga_hub_subscribe(app->hub, saga_id)))
                r = -ENOMEM;
        /* read again once subscribed: no change can slip between the two */
        if (r == CE_OK && (r = app->store.ops->find(app->store.self, saga_id, last)) == 0 &&
            (r = emit(emit_ctx, last)) == 0) {
                while (!saga_is_final(last->state.status) && !stop(stop_ctx)) {
                        /* short waits, so a watcher that went away is let go at once;
                         * the store is read between them only every STORE_POLL_MS */
                        bool changed = false, gone = false;
                        for (int waited = 0; waited < STORE_POLL_MS && !changed && !gone;
                             waited += WATCH_SLICE_MS) {
                                changed = saga_hub_wait(app->hub, sub, WATCH_SLICE_MS, fresh);
                                gone = !changed && stop(stop_ctx);
                        }
                        if (gone)
                                break;
                        if (!changed) {
                                /* stopping, or the store cannot be read: the saga is not over,
                                   so the watch must not end as if it were */
                                if (saga_hub_closed(app->hub) ||
                                    app->store.ops->find(app->store.self, saga_id, fresh) < 0) {
                                        r = CE_WATCH_INTERRUPTED;
                                        break;
                                }
                                if (same_state(fresh, last))
                                        continue;
                        }
                        *last = *fresh;
                        if ((r = emit(emit_ctx, last)) != 0)
                                break;
                }
        }
        /* it ended before the saga did (stopping, the store unreadable, or the
           watcher gone -- who then hears nothing): not an OK end */
        if (r == 0 && !saga_is_final(last->state.status))
                r = CE_WATCH_INTERRUPTED;
        saga_hub_unsubscribe(app->hub, sub);
        free(last);
        free(fresh);
        return r;
}

int checkout_reconcile(struct checkout_app *app, const struct checkout_caller *caller,
                       struct checkout_reconcile_report *ret)
{
        if (!(caller->role & ROLE_ADMIN))
                return CE_NOT_ALLOWED;
        if (!app->reconciler)
                return CE_NO_RECONCILER;
        return reconciler_run(app->reconciler, ret);
}

int checkout_list_divergences(struct checkout_app *app, const struct checkout_caller *caller,
                              enum divergence_status status, enum divergence_kind kind,
                              const char *order_id, int32_t page_size, const char *page_token,
                              struct checkout_divergence *ret, size_t *ret_n, char next_token[32])
{
        if (!(caller->role & ROLE_ADMIN))
                return CE_NOT_ALLOWED;
        if (!app->divergences.ops)
                return CE_NO_RECONCILER;
        if ((int)status < 0 || status > DIVERGENCE_RESOLVED || (int)kind < 0 ||
            (int)kind > DIVERGENCE_KINDS || !filter_id_valid(order_id))
                return CE_FILTER_INVALID;
        size_t size = page_size_clamp(page_size, CHECKOUT_PAGE_DEFAULT, CHECKOUT_PAGE_MAX);
        struct checkout_divergence_query q = {
                .status = status, .kind = kind, .order_id = order_id, .limit = size + 1};
        if (page_token_parse(page_token, 'd', &q.before_seq) < 0 ||
            (page_token && *page_token && q.before_seq == 0))
                return CE_PAGE_TOKEN_INVALID;
        size_t n = 0;
        int r = app->divergences.ops->list(app->divergences.self, &q, ret, &n);
        if (r < 0)
                return r;
        next_token[0] = '\0';
        if (n > size) {
                n = size;
                page_token_format('d', ret[n - 1].seq, next_token);
        }
        *ret_n = n;
        return CE_OK;
}
