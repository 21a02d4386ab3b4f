/* Operator actions and what operators read; see checkout-app.h. The rules
 * are saga-operator.h's; here the saga is read, changed, and written back
 * with a compare-and-set on its version that also releases its lease, so
 * whoever drives it next (the runner that held it, at its next write; this
 * process's runner, woken now) claims it and goes on from the new state. */
#include "checkout-app.h"

#include "core/ids.h"
#include "core/log.h"
#include "core/utf8.h"
#include "saga-hub.h"
#include "saga-runner.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A runner writing the saga between our read and our write makes us read
 * again; it writes at most twice per participant call. */
enum { OPERATE_TRIES = 8, REASON_MAX = 200 };

/* Applies req to a fresh read of the saga and writes it: 0, a refusal,
 * -ESTALE (written meanwhile: read again), or -errno. */
static int operate_once(struct checkout_app *app, const struct checkout_caller *caller,
                        const char *saga_id, const struct saga_op_request *req,
                        struct checkout_saga *s, struct checkout_action *a)
{
        int r = app->store.ops->find(app->store.self, saga_id, s);
        if (r == -ENOENT)
                return CE_SAGA_NOT_FOUND;
        if (r < 0)
                return r;
        const struct saga_def *def = checkout_def_of(s->kind);
        memset(a, 0, sizeof(*a));
        a->op = req->op;
        a->from = s->state.status;
        snprintf(a->step, sizeof(a->step), "%s", saga_step_name(def, &s->state));
        long restart = -1;
        if ((r = saga_operate(def, &s->state, req, &restart)) != CE_OK)
                return r;
        int64_t now = core_env_now_ms(&app->env);
        if (restart >= 0) { /* a fresh deadline and stuck timer for the step on hand */
                s->log[restart].started_ms = s->log[restart].updated_ms = now;
                s->log[restart].elapsed_ms = 0;
        }
        s->updated_ms = a->at_ms = now;
        a->to = s->state.status;
        snprintf(a->actor, sizeof(a->actor), "%s", caller->subject);
        snprintf(a->reason, sizeof(a->reason), "%s", req->reason);
        return app->store.ops->operate(app->store.self, s, a);
}

int checkout_operate(struct checkout_app *app, const struct checkout_caller *caller,
                     const char *saga_id, const struct saga_op_request *req,
                     struct checkout_saga *ret, struct checkout_action *ret_action)
{
        if (!(caller->role & ROLE_ADMIN))
                return CE_NOT_ALLOWED;
        if (!utf8_line_ok(req->reason, REASON_MAX))
                return CE_OP_REASON_INVALID;
        if (!saga_id || !*saga_id)
                return CE_ID_INVALID;
        if (!id_valid(saga_id, 36))
                return CE_SAGA_NOT_FOUND;
        int r = -ESTALE;
        for (int i = 0; i < OPERATE_TRIES && r == -ESTALE; i++)
                r = operate_once(app, caller, saga_id, req, ret, ret_action);
        if (r == -ESTALE)
                return -EAGAIN; /* it kept changing under us: the caller may try again */
        if (r != CE_OK)
                return r;
        ret->version++;
        log_msg(LOG_WARN, "operator action", "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "saga_id",
                ret->id, "order_id", ret->order_id, "action", saga_op_name(req->op), "actor",
                ret_action->actor, "reason", ret_action->reason, "from",
                saga_status_name(ret_action->from), "to", saga_status_name(ret_action->to));
        if (app->observer.ops)
                app->observer.ops->operator_action(app->observer.self, req->op);
        if (app->hub)
                saga_hub_publish(app->hub, ret);
        if (app->runner && !saga_is_final(ret->state.status))
                saga_runner_wake(app->runner, ret->id);
        return CE_OK;
}

int checkout_history(struct checkout_app *app, const char *saga_id, struct checkout_history *ret)
{
        int r = app->store.ops->journal(app->store.self, saga_id, ret->attempts,
                                        CHECKOUT_JOURNAL_MAX, &ret->n_attempts,
                                        &ret->total_attempts);
        if (r == 0)
                r = app->store.ops->actions(app->store.self, saga_id, ret->actions,
                                            CHECKOUT_ACTIONS_MAX, &ret->n_actions);
        return r;
}
