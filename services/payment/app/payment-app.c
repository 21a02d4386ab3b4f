/* Payment use cases; see payment-app.h. */
#include "payment-app.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int compatible(const struct payment *p, const struct payment_authorize_request *req)
{
        return payment_same_money(&p->amount, &req->amount) &&
                               !strcmp(p->customer_id, req->customer_id)
                       ? PE_OK
                       : PE_AMOUNT_MISMATCH;
}

int payment_authorize(struct payment_app *app, const struct payment_authorize_request *req,
                      struct payment *ret)
{
        int r = payment_check_order_id(req->order_id);
        if (r == PE_OK)
                r = payment_check_token(req->token); /* first: card data must not go further */
        if (r == PE_OK)
                r = payment_check_amount(&req->amount);
        if (r == PE_OK && (!req->customer_id[0] || strlen(req->customer_id) > 63))
                r = PE_ORDER_ID_INVALID;
        if (r != PE_OK)
                return r;
        r = app->store.ops->find(app->store.self, req->order_id, ret);
        if (r == 0)
                return compatible(ret, req);
        if (r != -ENOENT)
                return r;
        struct payment_provider_result res = {0};
        r = app->provider.ops->authorize(app->provider.self, req->order_id, req->token,
                                         &req->amount, req->deadline_left_ms, &res);
        if (r == -EAGAIN || r == -ETIMEDOUT)
                return PE_PROVIDER_UNAVAILABLE;
        if (r < 0)
                return r;
        struct payment p = {.amount = req->amount,
                            .status = res.approved ? PAYMENT_AUTHORIZED : PAYMENT_DECLINED};
        app->env.ops->new_id(app->env.self, p.id);
        snprintf(p.order_id, sizeof(p.order_id), "%s", req->order_id);
        snprintf(p.customer_id, sizeof(p.customer_id), "%s", req->customer_id);
        snprintf(p.decline_reason, sizeof(p.decline_reason), "%s", res.decline_reason);
        snprintf(p.provider_reference, sizeof(p.provider_reference), "%s", res.reference);
        p.created_at = p.updated_at = app->env.ops->now_s(app->env.self);
        r = app->store.ops->insert(app->store.self, &p);
        if (r == -EEXIST) { /* a concurrent authorize of the same order stored first */
                if ((r = app->store.ops->find(app->store.self, req->order_id, ret)) < 0)
                        return r;
                return compatible(ret, req);
        }
        if (r == 0)
                *ret = p;
        return r;
}

static int provider_call(struct payment_app *app, enum payment_action action, const char *reference)
{
        const struct payment_provider_ops *ops = app->provider.ops;
        int r = action == PAY_CAPTURE ? ops->capture(app->provider.self, reference)
                : action == PAY_VOID  ? ops->void_authorization(app->provider.self, reference)
                                      : ops->refund(app->provider.self, reference);
        return r == -EAGAIN || r == -ETIMEDOUT ? PE_PROVIDER_UNAVAILABLE : r;
}

int payment_apply(struct payment_app *app, const char *order_id, enum payment_action action,
                  struct payment *ret)
{
        int r = payment_check_order_id(order_id);
        if (r != PE_OK)
                return r;
        for (int attempt = 0; attempt < 3; attempt++) {
                r = app->store.ops->find(app->store.self, order_id, ret);
                if (r == -ENOENT) {
                        memset(ret, 0, sizeof(*ret));
                        snprintf(ret->order_id, sizeof(ret->order_id), "%s", order_id);
                        ret->status = PAYMENT_NONE;
                } else if (r < 0) {
                        return r;
                }
                enum payment_decision d = payment_decide(ret->status, action);
                if (d == PAY_NOOP)
                        return PE_OK;
                if (d == PAY_REFUSE)
                        return PE_WRONG_STATE;
                /* the provider is idempotent per reference: a retry after a lost race is safe */
                if ((r = provider_call(app, action, ret->provider_reference)) != 0)
                        return r;
                int64_t now = app->env.ops->now_s(app->env.self);
                enum payment_status to = payment_after(action);
                r = app->store.ops->set_status(app->store.self, order_id, ret->status, to, now);
                if (r == -ESTALE)
                        continue;
                if (r < 0)
                        return r;
                ret->status = to;
                ret->updated_at = now;
                return PE_OK;
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
        if (r == -ENOENT)
                return PE_NOT_FOUND;
        if (r < 0)
                return r;
        bool allowed = (role & (PAYMENT_ROLE_ADMIN | PAYMENT_ROLE_SERVICE)) ||
                       !strcmp(subject, ret->customer_id);
        return allowed ? PE_OK : PE_NOT_FOUND;
}
