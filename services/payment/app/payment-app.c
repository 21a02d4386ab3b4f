/* Payment use cases; see payment-app.h. */
#include "payment-app.h"

#include "core/log.h"

#include "core/ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { CAS_ROUNDS = 8 };

static int compatible(const struct payment *p, const struct payment_authorize_request *req)
{
        return payment_same_money(&p->amount, &req->amount) &&
                               !strcmp(p->customer_id, req->customer_id)
                       ? PE_OK
                       : PE_AMOUNT_MISMATCH;
}

static int64_t now_s(struct payment_app *app)
{
        return core_env_now_s(&app->env);
}

static int provider_error(int r)
{
        return r == -EAGAIN || r == -ETIMEDOUT ? PE_PROVIDER_UNAVAILABLE : r;
}

/* Asks the provider for the authorization an AUTHORIZING payment stands for
 * (idempotent per order id: asking again never holds twice) and records the
 * answer. -ESTALE when someone else recorded one first (reload). */
static int settle_authorization(struct payment_app *app, struct payment *p,
                                int64_t deadline_left_ms)
{
        if (deadline_left_ms == 0)
                return PE_DEADLINE; /* the caller gave up: do not start a hold for nobody */
        struct payment_provider_result res = {0};
        int r = app->provider.ops->authorize(app->provider.self, p->order_id, p->token, &p->amount,
                                             deadline_left_ms, &res);
        if (r < 0)
                return provider_error(r);
        struct payment to = *p; /* what the provider did is recorded, deadline or not */
        to.status = res.approved ? PAYMENT_AUTHORIZED : PAYMENT_DECLINED;
        snprintf(to.decline_reason, sizeof(to.decline_reason), "%s", res.decline_reason);
        snprintf(to.provider_reference, sizeof(to.provider_reference), "%s", res.reference);
        to.updated_at = now_s(app);
        if ((r = app->store.ops->update(app->store.self, &to, PAYMENT_AUTHORIZING, 0)) == 0)
                *p = to;
        return r;
}

static int provider_call(struct payment_app *app, enum payment_action action, const char *reference)
{
        const struct payment_provider_ops *ops = app->provider.ops;
        int r = action == PAY_CAPTURE ? ops->capture(app->provider.self, reference)
                : action == PAY_VOID  ? ops->void_authorization(app->provider.self, reference)
                                      : ops->refund(app->provider.self, reference);
        return provider_error(r);
}

/* Finishes a claimed capture, void or refund at the provider (idempotent per
 * reference) and records it. -ESTALE as above. */
static int settle_pending(struct payment_app *app, struct payment *p)
{
        enum payment_action action = (enum payment_action)(p->pending - 1);
        int r = provider_call(app, action, p->provider_reference);
        if (r != 0)
                return r;
        struct payment to = *p;
        to.status = payment_after(action);
        to.pending = 0;
        to.updated_at = now_s(app);
        if ((r = app->store.ops->update(app->store.self, &to, p->status, p->pending)) == 0)
                *p = to;
        return r;
}

/* Brings p to a settled state: an authorization still out is asked for
 * again, a claimed action finished, whoever started them. Reloads p after a
 * lost compare-and-set. */
static int settle(struct payment_app *app, struct payment *p, int64_t deadline_left_ms)
{
        for (int i = 0; i < CAS_ROUNDS; i++) {
                int r = p->status == PAYMENT_AUTHORIZING
                                ? settle_authorization(app, p, deadline_left_ms)
                        : p->pending ? settle_pending(app, p)
                                     : PE_OK;
                if (r != -ESTALE)
                        return r;
                if ((r = app->store.ops->find(app->store.self, p->order_id, p)) < 0)
                        return r;
        }
        return -EBUSY;
}

static int check_authorize(const struct payment_authorize_request *req)
{
        int r = payment_check_order_id(req->order_id);
        if (r == PE_OK)
                r = payment_check_token(req->token); /* first: card data must not go further */
        if (r == PE_OK)
                r = payment_check_amount(&req->amount);
        if (r == PE_OK && !id_valid(req->customer_id, 63))
                r = PE_CUSTOMER_ID_INVALID;
        return r;
}

/* The stored payment of the order, or the intent to authorize it, written
 * now (before the provider hears of it). */
static int find_or_intend(struct payment_app *app, const struct payment_authorize_request *req,
                          struct payment *ret)
{
        for (int i = 0; i < CAS_ROUNDS; i++) {
                int r = app->store.ops->find(app->store.self, req->order_id, ret);
                if (r != -ENOENT)
                        return r;
                if (req->deadline_left_ms == 0)
                        return PE_DEADLINE;
                struct payment p = {.amount = req->amount, .status = PAYMENT_AUTHORIZING};
                core_env_new_id(&app->env, p.id);
                snprintf(p.order_id, sizeof(p.order_id), "%s", req->order_id);
                snprintf(p.customer_id, sizeof(p.customer_id), "%s", req->customer_id);
                snprintf(p.token, sizeof(p.token), "%s", req->token);
                p.created_at = p.updated_at = now_s(app);
                r = app->store.ops->insert(app->store.self, &p);
                if (r == 0)
                        *ret = p;
                if (r != -EEXIST) /* -EEXIST: a concurrent authorize or a void came first */
                        return r;
        }
        return -EBUSY;
}

int payment_authorize(struct payment_app *app, const struct payment_authorize_request *req,
                      struct payment *ret)
{
        int r = check_authorize(req);
        if (r == PE_OK)
                r = find_or_intend(app, req, ret);
        if (r != PE_OK)
                return r;
        if (payment_compensated(ret->status))
                return PE_COMPENSATED; /* the void overtook this authorization */
        if ((r = compatible(ret, req)) != PE_OK)
                return r;
        if ((r = settle(app, ret, req->deadline_left_ms)) != PE_OK)
                return r;
        /* a void may have come while the provider was asked: it wins */
        return payment_compensated(ret->status) ? PE_COMPENSATED : PE_OK;
}

/* The fence an undo leaves for an order without a payment: VOIDED, no
 * customer, no amount. An authorization arriving after it is refused. */
static int insert_fence(struct payment_app *app, const char *order_id, struct payment *ret)
{
        struct payment p = {.status = PAYMENT_VOIDED};
        core_env_new_id(&app->env, p.id);
        snprintf(p.order_id, sizeof(p.order_id), "%s", order_id);
        p.created_at = p.updated_at = now_s(app);
        int r = app->store.ops->insert(app->store.self, &p);
        if (r == 0)
                *ret = p;
        return r;
}

int payment_apply(struct payment_app *app, const char *order_id, enum payment_action action,
                  struct payment *ret)
{
        int r = payment_check_order_id(order_id);
        if (r != PE_OK)
                return r;
        for (int attempt = 0; attempt < CAS_ROUNDS; attempt++) {
                r = app->store.ops->find(app->store.self, order_id, ret);
                if (r == -ENOENT && action == PAY_CAPTURE)
                        return PE_WRONG_STATE;
                if (r == -ENOENT) {
                        if ((r = insert_fence(app, order_id, ret)) == -EEXIST)
                                continue; /* the authorization came first after all */
                        return r;
                }
                if (r < 0)
                        return r;
                /* what was started is finished first, by whoever comes */
                if ((r = settle(app, ret, -1)) != PE_OK)
                        return r;
                enum payment_decision d = payment_decide(ret->status, action);
                if (d == PAY_NOOP)
                        return PE_OK;
                if (d == PAY_REFUSE)
                        return PE_WRONG_STATE;
                /* claimed in the store before the provider hears of it: a capture
                 * and a void never both reach it */
                struct payment claimed = *ret;
                claimed.pending = (int)action + 1;
                claimed.updated_at = now_s(app);
                r = app->store.ops->update(app->store.self, &claimed, ret->status, 0);
                if (r == -ESTALE)
                        continue;
                if (r < 0)
                        return r;
                *ret = claimed;
                return settle(app, ret, -1);
        }
        return -EBUSY;
}

int payment_get(struct payment_app *app, const char *subject, unsigned role, const char *order_id,
                struct payment *ret)
{
        int r = payment_check_order_id(order_id);
        if (r != PE_OK)
                return r;
        r = app->store.ops->find(app->store.self, order_id, ret);
        if (r == -ENOENT || (r == 0 && payment_is_fence(ret)))
                return PE_NOT_FOUND; /* a fence is not a payment */
        if (r < 0)
                return r;
        bool allowed = (role & (ROLE_ADMIN | ROLE_SERVICE)) || !strcmp(subject, ret->customer_id);
        return allowed ? PE_OK : PE_NOT_FOUND;
}

static const char *payment_key(const void *rows, size_t i)
{
        return ((const struct payment *)rows)[i].order_id;
}

int payment_list(struct payment_app *app, unsigned role, const struct listing_filter *f,
                 struct payment *ret, size_t *ret_n, char next_token[PAGE_KEY_MAX + 1])
{
        if (!(role & (ROLE_ADMIN | ROLE_SERVICE)))
                return PE_NOT_ALLOWED;
        size_t n = 0;
        int r = app->store.ops->list(app->store.self, f, ret, &n);
        if (r < 0)
                return r;
        *ret_n = listing_page(f, n, payment_key, ret, 'p', next_token);
        return PE_OK;
}

int payment_prune_fences(struct payment_app *app)
{
        int64_t before = core_env_now_s(&app->env) - app->fence_retention_ms / 1000, n = 0;
        int r = app->store.ops->prune_fences(app->store.self, before, &n);
        if (r == 0 && n)
                log_msg(LOG_INFO, "retention: old fences let go", "{s:I}", "fences", (json_int_t)n);
        return r;
}
