/* bookstore.checkout.v1.CheckoutService handlers: proto <-> domain mapping. */
#include "checkout-grpc.h"

#include "bookstore/checkout/v1/checkout.pb-c.h"
#include "rpc/pb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The answer leaves this much of the caller's deadline for the way back. */
enum { REPLY_MARGIN_MS = 150 };

static int fail(struct rpc_call *call, int r)
{
        return rpc_fail(call, &checkout_errors, r, NULL,
                        "a dependency (database, order or identity) is unavailable; retry");
}

#define APP(call) ((struct checkout_app *)rpc_call_service_ctx(call))

/* The caller, with the trace id of the call (the runtime starts one when the
 * client sent none), which the saga keeps for every participant call. */
static struct checkout_caller caller_of(struct rpc_call *call)
{
        const struct auth_principal *p = auth_principal_of(call);
        const char *trace = rpc_call_trace_id(call);
        return (struct checkout_caller){.subject = p ? p->subject : "",
                                        .role = p ? p->role : 0,
                                        .authorization = rpc_call_metadata(call, "authorization"),
                                        .trace_id = trace};
}

static bool call_ended(void *call)
{
        return rpc_call_cancelled(call);
}

/* The saga may take until just before the caller's deadline; then the call
 * answers with the saga still RUNNING. */
static struct checkout_wait wait_budget(struct rpc_call *call)
{
        int64_t left = rpc_call_deadline_remaining_ms(call);
        int64_t ms = left < 0                 ? APP(call)->cfg.wait_ms
                     : left > REPLY_MARGIN_MS ? left - REPLY_MARGIN_MS
                                              : 0;
        return (struct checkout_wait){.ms = ms, .stop = call_ended, .ctx = call};
}

static Google__Protobuf__Timestamp *timestamp_ms(struct rpc_call *call, int64_t ms)
{
        if (ms <= 0)
                return NULL;
        Google__Protobuf__Timestamp *t =
                rpc_new_message(call, &google__protobuf__timestamp__descriptor);
        if (t) {
                t->seconds = ms / 1000;
                t->nanos = (int32_t)(ms % 1000) * 1000000;
        }
        return t;
}

static Bookstore__Checkout__V1__Saga *saga_to_proto(struct rpc_call *call,
                                                    const struct checkout_saga *s)
{
        const struct saga_def *def = checkout_def_of(s->kind);
        Bookstore__Checkout__V1__Saga *p =
                rpc_new_message(call, &bookstore__checkout__v1__saga__descriptor);
        if (!p || !(p->steps = rpc_call_alloc(call, def->n_steps * sizeof(void *))))
                return NULL;
        for (size_t i = 0; i < def->n_steps; i++) {
                Bookstore__Checkout__V1__SagaStep *st =
                        rpc_new_message(call, &bookstore__checkout__v1__saga_step__descriptor);
                if (!st)
                        return NULL;
                st->name = (char *)def->steps[i].name; /* static, outlives the call */
                st->status = (Bookstore__Checkout__V1__StepStatus)s->state.steps[i];
                st->attempts = s->state.attempts[i];
                st->last_error = rpc_call_strdup(call, s->log[i].last_error);
                st->updated_at = timestamp_ms(call, s->log[i].updated_ms);
                p->steps[p->n_steps++] = st;
        }
        p->id = rpc_call_strdup(call, s->id);
        p->kind = (Bookstore__Checkout__V1__SagaKind)s->kind;
        p->status = (Bookstore__Checkout__V1__SagaStatus)s->state.status;
        p->order_id = rpc_call_strdup(call, s->order_id);
        p->customer_id = rpc_call_strdup(call, s->customer_id);
        p->failure_reason = rpc_call_strdup(call, s->state.failure_reason);
        p->stuck = s->state.stuck;
        p->created_at = timestamp_ms(call, s->created_ms);
        p->updated_at = timestamp_ms(call, s->updated_ms);
        p->step = (char *)saga_step_name(def, &s->state); /* static */
        return p; /* a string that could not be copied: the call remembers it */
}

static bool copy(char *out, size_t len, const char *in)
{
        return in && (size_t)snprintf(out, len, "%s", in) < len;
}

static bool address_from_proto(const Bookstore__Common__V1__Address *a,
                               struct checkout_address *out)
{
        return copy(out->recipient, sizeof(out->recipient), a->recipient) &&
               copy(out->line1, sizeof(out->line1), a->line1) &&
               copy(out->line2, sizeof(out->line2), a->line2) &&
               copy(out->city, sizeof(out->city), a->city) &&
               copy(out->postal_code, sizeof(out->postal_code), a->postal_code) &&
               copy(out->country_code, sizeof(out->country_code), a->country_code);
}

static int place_order(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__PlaceOrderRequest *req = (const void *)msg;
        struct checkout_caller caller = caller_of(call);
        if (req->n_items > CHECKOUT_MAX_ITEMS)
                return fail(call, CE_ITEMS_INVALID);
        struct checkout_item *items = rpc_call_alloc(call, (req->n_items + 1) * sizeof(*items));
        struct checkout_address *address = rpc_call_alloc(call, sizeof(*address));
        struct checkout_saga *s = rpc_call_alloc(call, sizeof(*s));
        if (!items || !address || !s)
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < req->n_items; i++) {
                if (!copy(items[i].book_id, sizeof(items[i].book_id), req->items[i]->book_id))
                        return fail(call, CE_BOOK_ID_INVALID); /* too long to be one */
                items[i].quantity = req->items[i]->quantity;
        }
        if (req->shipping_address && !address_from_proto(req->shipping_address, address))
                return fail(call, CE_ADDRESS_INVALID);
        struct checkout_place_request pr = {.items = items,
                                            .n_items = req->n_items,
                                            .shipping_address_id = req->shipping_address_id,
                                            .inline_address =
                                                    req->shipping_address ? address : NULL,
                                            .payment_token = req->payment_method_token,
                                            .idempotency_key = req->idempotency_key};
        struct checkout_wait wait = wait_budget(call);
        int r = checkout_place(APP(call), &caller, &pr, &wait, s);
        if (r != CE_OK)
                return fail(call, r);
        Bookstore__Checkout__V1__PlaceOrderResponse *resp =
                rpc_new_message(call, &bookstore__checkout__v1__place_order_response__descriptor);
        if (!resp || !(resp->saga = saga_to_proto(call, s)) ||
            !(resp->order_id = rpc_call_strdup(call, s->order_id)))
                return rpc_out_of_memory(call);
        if (s->total.currency[0]) {
                Bookstore__Common__V1__Money *m =
                        rpc_new_message(call, &bookstore__common__v1__money__descriptor);
                if (!m || !(m->currency_code = rpc_call_strdup(call, s->total.currency)))
                        return rpc_out_of_memory(call);
                m->units = s->total.units;
                m->nanos = s->total.nanos;
                resp->total = m;
        }
        *ret = &resp->base;
        return RPC_OK;
}

/* CancelOrder and RefuseOrder: (order_id, reason) -> the cancellation saga. */
static int cancellation(struct rpc_call *call, const char *order_id, const char *reason,
                        bool by_seller, const ProtobufCMessageDescriptor *type,
                        ProtobufCMessage **ret)
{
        struct checkout_caller caller = caller_of(call);
        struct checkout_saga *s = rpc_call_alloc(call, sizeof(*s));
        if (!s)
                return rpc_out_of_memory(call);
        struct checkout_wait wait = wait_budget(call);
        int r = (by_seller ? checkout_refuse : checkout_cancel)(APP(call), &caller, order_id,
                                                                reason, &wait, s);
        if (r != CE_OK)
                return fail(call, r);
        return rpc_reply_with(call, type, "saga", saga_to_proto(call, s), ret);
}

static int cancel_order(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__CancelOrderRequest *req = (const void *)msg;
        return cancellation(call, req->order_id, req->reason, false,
                            &bookstore__checkout__v1__cancel_order_response__descriptor, ret);
}

static int refuse_order(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__RefuseOrderRequest *req = (const void *)msg;
        return cancellation(call, req->order_id, req->reason, true,
                            &bookstore__checkout__v1__refuse_order_response__descriptor, ret);
}

static Bookstore__Checkout__V1__SagaAttempt *attempt_to_proto(struct rpc_call *call,
                                                              const struct checkout_attempt *a)
{
        Bookstore__Checkout__V1__SagaAttempt *p =
                rpc_new_message(call, &bookstore__checkout__v1__saga_attempt__descriptor);
        if (!p)
                return NULL;
        p->step = rpc_call_strdup(call, a->step);
        p->compensation = a->compensation;
        p->started_at = timestamp_ms(call, a->started_ms);
        p->duration_ms = a->duration_ms;
        /* the engine's outcomes, in the enum's order after UNSPECIFIED */
        static const Bookstore__Checkout__V1__AttemptOutcome outcomes[] = {
                [SAGA_OUTCOME_OK] = BOOKSTORE__CHECKOUT__V1__ATTEMPT_OUTCOME__ATTEMPT_OUTCOME_OK,
                [SAGA_OUTCOME_MAYBE_APPLIED] =
                        BOOKSTORE__CHECKOUT__V1__ATTEMPT_OUTCOME__ATTEMPT_OUTCOME_UNCERTAIN,
                [SAGA_OUTCOME_UNREACHED] =
                        BOOKSTORE__CHECKOUT__V1__ATTEMPT_OUTCOME__ATTEMPT_OUTCOME_UNREACHED,
                [SAGA_OUTCOME_BUSINESS] =
                        BOOKSTORE__CHECKOUT__V1__ATTEMPT_OUTCOME__ATTEMPT_OUTCOME_REFUSED,
        };
        if ((unsigned)a->outcome < sizeof(outcomes) / sizeof(outcomes[0]))
                p->outcome = outcomes[a->outcome];
        p->code = rpc_call_strdup(call, a->code);
        p->message = rpc_call_strdup(call, a->message);
        return p;
}

static Bookstore__Checkout__V1__OperatorAction *action_to_proto(struct rpc_call *call,
                                                                const struct checkout_action *a)
{
        Bookstore__Checkout__V1__OperatorAction *p =
                rpc_new_message(call, &bookstore__checkout__v1__operator_action__descriptor);
        if (!p)
                return NULL;
        p->kind = (Bookstore__Checkout__V1__OperatorActionKind)a->op;
        p->actor = rpc_call_strdup(call, a->actor);
        p->reason = rpc_call_strdup(call, a->reason);
        p->at = timestamp_ms(call, a->at_ms);
        p->from_status = (Bookstore__Checkout__V1__SagaStatus)a->from;
        p->to_status = (Bookstore__Checkout__V1__SagaStatus)a->to;
        p->step = rpc_call_strdup(call, a->step);
        return p;
}

/* The journal and the audit trail into the response (admins only). */
static int add_history(struct rpc_call *call, const char *saga_id,
                       Bookstore__Checkout__V1__GetSagaResponse *resp)
{
        struct checkout_history *h = rpc_call_alloc(call, sizeof(*h));
        if (!h)
                return -ENOMEM;
        int r = checkout_history(APP(call), saga_id, h);
        if (r < 0)
                return r;
        resp->journal = rpc_call_alloc(call, (h->n_attempts + 1) * sizeof(void *));
        resp->actions = rpc_call_alloc(call, (h->n_actions + 1) * sizeof(void *));
        if (!resp->journal || !resp->actions)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_attempts; i++)
                if (!(resp->journal[resp->n_journal++] = attempt_to_proto(call, &h->attempts[i])))
                        return -ENOMEM;
        for (size_t i = 0; i < h->n_actions; i++)
                if (!(resp->actions[resp->n_actions++] = action_to_proto(call, &h->actions[i])))
                        return -ENOMEM;
        resp->journal_total = (int32_t)h->total_attempts;
        return 0;
}

static int get_saga(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__GetSagaRequest *req = (const void *)msg;
        struct checkout_caller caller = caller_of(call);
        struct checkout_saga *s = rpc_call_alloc(call, sizeof(*s));
        Bookstore__Checkout__V1__GetSagaResponse *resp =
                rpc_new_message(call, &bookstore__checkout__v1__get_saga_response__descriptor);
        if (!s || !resp)
                return rpc_out_of_memory(call);
        int r = checkout_get(APP(call), &caller, req->saga_id, req->order_id, s);
        if (r == CE_OK && (caller.role & ROLE_ADMIN))
                r = add_history(call, s->id, resp);
        if (r == -ENOMEM)
                return rpc_out_of_memory(call);
        if (r != CE_OK)
                return fail(call, r);
        if (!(resp->saga = saga_to_proto(call, s)))
                return rpc_out_of_memory(call);
        *ret = &resp->base;
        return RPC_OK;
}

static int list_sagas(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__ListSagasRequest *req = (const void *)msg;
        int32_t size = req->page ? req->page->page_size : 0;
        if (size < 0)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "page_size must not be negative");
        struct checkout_saga *sagas =
                rpc_call_alloc(call, (CHECKOUT_PAGE_MAX + 1) * sizeof(*sagas));
        char next[32];
        size_t n = 0;
        if (!sagas)
                return rpc_out_of_memory(call);
        struct checkout_list_filter filter = {.status = (enum saga_status)req->status,
                                              .kind = (enum checkout_kind)req->kind,
                                              .stuck_only = req->stuck,
                                              .min_age_s = req->min_age_seconds,
                                              .customer_id = req->customer_id,
                                              .order_id = req->order_id,
                                              .step = req->step};
        int r = checkout_list(APP(call), &filter, size, req->page ? req->page->page_token : "",
                              sagas, &n, next);
        if (r != CE_OK)
                return fail(call, r);
        Bookstore__Checkout__V1__ListSagasResponse *resp =
                rpc_new_message(call, &bookstore__checkout__v1__list_sagas_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        if (!resp || !page || !(resp->sagas = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->sagas[resp->n_sagas++] = saga_to_proto(call, &sagas[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

struct watch {
        struct rpc_call *call;
        struct rpc_stream *stream;
};

static int watch_emit(void *ctx, const struct checkout_saga *s)
{
        struct watch *w = ctx;
        Bookstore__Checkout__V1__WatchSagaResponse resp;
        bookstore__checkout__v1__watch_saga_response__init(&resp);
        if (!(resp.saga = saga_to_proto(w->call, s)))
                return -ENOMEM;
        return rpc_stream_write(w->stream, &resp.base) < 0 ? -ECANCELED : 0;
}

static bool watch_gone(void *ctx)
{
        struct watch *w = ctx;
        return rpc_stream_wait_cancelled(w->stream, 0);
}

static int watch_saga(struct rpc_call *call, struct rpc_stream *stream)
{
        ProtobufCMessage *msg;
        int r = rpc_stream_read(stream, &msg);
        if (r <= 0)
                return r == 0 ? rpc_error(call, RPC_INVALID_ARGUMENT, "missing WatchSagaRequest")
                              : -r;
        const Bookstore__Checkout__V1__WatchSagaRequest *req = (const void *)msg;
        const char *id = rpc_call_strdup(call, req->saga_id);
        struct checkout_caller caller = caller_of(call);
        struct watch w = {call, stream};
        if (!id)
                return rpc_out_of_memory(call);
        r = checkout_watch(APP(call), &caller, id, watch_emit, &w, watch_gone, &w);
        if (r == -ECANCELED)
                return rpc_error(call, RPC_CANCELLED, "the watcher went away");
        return r == CE_OK ? RPC_OK : fail(call, r);
}

/* The four operator actions share their request's first fields (saga_id,
 * reason) and their response's (saga, action); each handler names its
 * types and its action. */
static int operate(struct rpc_call *call, const char *saga_id, const struct saga_op_request *req,
                   const ProtobufCMessageDescriptor *response, ProtobufCMessage **ret)
{
        struct checkout_caller caller = caller_of(call);
        struct checkout_saga *s = rpc_call_alloc(call, sizeof(*s));
        struct checkout_action *a = rpc_call_alloc(call, sizeof(*a));
        if (!s || !a)
                return rpc_out_of_memory(call);
        int r = checkout_operate(APP(call), &caller, saga_id, req, s, a);
        if (r != CE_OK)
                return fail(call, r);
        int e = rpc_reply_with(call, response, "saga", saga_to_proto(call, s), ret);
        if (e != RPC_OK)
                return e;
        const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field_by_name(response, "action");
        void *action = action_to_proto(call, a);
        if (!f || !action)
                return rpc_out_of_memory(call);
        *(void **)((char *)*ret + f->offset) = action;
        return RPC_OK;
}

static int retry_now(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__RetryNowRequest *req = (const void *)msg;
        struct saga_op_request op = {.op = SAGA_OP_RETRY_NOW, .reason = req->reason};
        return operate(call, req->saga_id, &op,
                       &bookstore__checkout__v1__retry_now_response__descriptor, ret);
}

static int resume(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__ResumeRequest *req = (const void *)msg;
        struct saga_op_request op = {.op = SAGA_OP_RESUME, .reason = req->reason};
        return operate(call, req->saga_id, &op,
                       &bookstore__checkout__v1__resume_response__descriptor, ret);
}

static int force_compensate(struct rpc_call *call, const ProtobufCMessage *msg,
                            ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__ForceCompensateRequest *req = (const void *)msg;
        struct saga_op_request op = {.op = SAGA_OP_FORCE_COMPENSATE, .reason = req->reason};
        return operate(call, req->saga_id, &op,
                       &bookstore__checkout__v1__force_compensate_response__descriptor, ret);
}

static int mark_resolved(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__MarkResolvedRequest *req = (const void *)msg;
        struct saga_op_request op = {.op = SAGA_OP_MARK_RESOLVED,
                                     .outcome = (enum saga_status)req->outcome,
                                     .reason = req->reason};
        return operate(call, req->saga_id, &op,
                       &bookstore__checkout__v1__mark_resolved_response__descriptor, ret);
}

static Bookstore__Checkout__V1__Divergence *divergence_to_proto(struct rpc_call *call,
                                                                const struct checkout_divergence *d)
{
        Bookstore__Checkout__V1__Divergence *p =
                rpc_new_message(call, &bookstore__checkout__v1__divergence__descriptor);
        if (!p)
                return NULL;
        p->order_id = rpc_call_strdup(call, d->order_id);
        p->kind = (Bookstore__Checkout__V1__DivergenceKind)d->kind;
        p->status = (Bookstore__Checkout__V1__DivergenceStatus)d->status;
        p->detail = rpc_call_strdup(call, d->detail);
        p->repair = rpc_call_strdup(call, d->repair);
        p->first_seen = timestamp_ms(call, d->first_seen_ms);
        p->last_seen = timestamp_ms(call, d->last_seen_ms);
        p->closed_at = timestamp_ms(call, d->closed_ms);
        return p;
}

static int list_divergences(struct rpc_call *call, const ProtobufCMessage *msg,
                            ProtobufCMessage **ret)
{
        const Bookstore__Checkout__V1__ListDivergencesRequest *req = (const void *)msg;
        struct checkout_caller caller = caller_of(call);
        int32_t size = req->page ? req->page->page_size : 0;
        if (size < 0)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "page_size must not be negative");
        struct checkout_divergence *rows =
                rpc_call_alloc(call, (CHECKOUT_PAGE_MAX + 1) * sizeof(*rows));
        Bookstore__Checkout__V1__ListDivergencesResponse *resp = rpc_new_message(
                call, &bookstore__checkout__v1__list_divergences_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        char next[32];
        size_t n = 0;
        if (!rows || !resp || !page)
                return rpc_out_of_memory(call);
        int r = checkout_list_divergences(APP(call), &caller, (enum divergence_status)req->status,
                                          (enum divergence_kind)req->kind, req->order_id, size,
                                          req->page ? req->page->page_token : "", rows, &n, next);
        if (r != CE_OK)
                return fail(call, r);
        if (!(resp->divergences = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->divergences[resp->n_divergences++] =
                              divergence_to_proto(call, &rows[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

static int reconcile(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        struct checkout_caller caller = caller_of(call);
        struct checkout_reconcile_report *rep = rpc_call_alloc(call, sizeof(*rep));
        Bookstore__Checkout__V1__ReconcileResponse *resp =
                rpc_new_message(call, &bookstore__checkout__v1__reconcile_response__descriptor);
        if (!rep || !resp)
                return rpc_out_of_memory(call);
        int r = checkout_reconcile(APP(call), &caller, rep);
        if (r != CE_OK)
                return fail(call, r);
        int64_t open = 0;
        for (int k = 1; k <= DIVERGENCE_KINDS; k++)
                open += rep->open[k];
        resp->examined = (int32_t)rep->examined;
        resp->found = (int32_t)rep->found;
        resp->repaired = (int32_t)rep->repaired;
        resp->resolved = (int32_t)rep->resolved;
        resp->repair_failures = (int32_t)rep->failed;
        resp->open = (int32_t)open;
        resp->truncated = rep->truncated;
        *ret = &resp->base;
        return RPC_OK;
}

static const struct rpc_method_impl checkout_methods[] = {
        {.name = "PlaceOrder", .unary = place_order, .roles = ROLE_CUSTOMER},
        {.name = "CancelOrder", .unary = cancel_order, .roles = ROLE_CUSTOMER | ROLE_ADMIN},
        {.name = "RefuseOrder", .unary = refuse_order, .roles = ROLE_SELLER},
        {.name = "GetSaga", .unary = get_saga, .roles = ROLE_ANY},
        {.name = "ListSagas", .unary = list_sagas, .roles = ROLE_ADMIN},
        {.name = "WatchSaga", .stream = watch_saga, .roles = ROLE_ANY},
        {.name = "RetryNow", .unary = retry_now, .roles = ROLE_ADMIN},
        {.name = "Resume", .unary = resume, .roles = ROLE_ADMIN},
        {.name = "ForceCompensate", .unary = force_compensate, .roles = ROLE_ADMIN},
        {.name = "MarkResolved", .unary = mark_resolved, .roles = ROLE_ADMIN},
        {.name = "ListDivergences", .unary = list_divergences, .roles = ROLE_ADMIN},
        {.name = "Reconcile", .unary = reconcile, .roles = ROLE_ADMIN},
};

int checkout_grpc_register(struct rpc_server *server, void *app)
{
        return rpc_server_add_service(
                server, &bookstore__checkout__v1__checkout_service__descriptor, NULL,
                checkout_methods, sizeof(checkout_methods) / sizeof(checkout_methods[0]), app);
}
