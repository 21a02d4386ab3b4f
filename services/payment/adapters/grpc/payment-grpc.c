/* bookstore.payment.v1.PaymentService handlers: proto <-> domain mapping. */
#include "payment-grpc.h"

#include "bookstore/payment/v1/payment.pb-c.h"
#include "core/listing.h"
#include "core/log.h"
#include "rpc/pb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(struct rpc_call *call, int r)
{
        return rpc_fail(call, &payment_errors, r, NULL, "the payment store is unavailable; retry");
}

#define APP(call) ((struct payment_app *)rpc_call_service_ctx(call))

static Bookstore__Payment__V1__Payment *payment_to_proto(struct rpc_call *call,
                                                         const struct payment *p)
{
        Bookstore__Payment__V1__Payment *m =
                rpc_new_message(call, &bookstore__payment__v1__payment__descriptor);
        Bookstore__Common__V1__Money *amount =
                rpc_new_message(call, &bookstore__common__v1__money__descriptor);
        if (!m || !amount)
                return NULL;
        amount->currency_code = rpc_call_strdup(call, p->amount.currency);
        amount->units = p->amount.units;
        amount->nanos = p->amount.nanos;
        m->id = rpc_call_strdup(call, p->id);
        m->order_id = rpc_call_strdup(call, p->order_id);
        m->customer_id = rpc_call_strdup(call, p->customer_id);
        m->amount = amount;
        /* nothing ever existed for a no-op compensation: report where things stand */
        m->status = (Bookstore__Payment__V1__PaymentStatus)p->status;
        m->decline_reason = rpc_call_strdup(call, p->decline_reason);
        m->provider_reference = rpc_call_strdup(call, p->provider_reference);
        m->created_at = rpc_new_timestamp(call, p->created_at);
        m->updated_at = rpc_new_timestamp(call, p->updated_at);
        return m->id && m->order_id && m->customer_id && amount->currency_code &&
                               m->decline_reason && m->provider_reference && m->created_at &&
                               m->updated_at
                       ? m
                       : NULL;
}

static int authorize(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Payment__V1__AuthorizePaymentRequest *req = (const void *)msg;
        struct payment_authorize_request ar = {
                .order_id = req->order_id,
                .customer_id = req->customer_id,
                .token = req->payment_method_token,
                .deadline_left_ms = rpc_call_deadline_remaining_ms(call),
        };
        if (req->amount) {
                snprintf(ar.amount.currency, sizeof(ar.amount.currency), "%.3s",
                         req->amount->currency_code);
                if (strlen(req->amount->currency_code) != 3)
                        ar.amount.currency[0] = '\0';
                ar.amount.units = req->amount->units;
                ar.amount.nanos = req->amount->nanos;
        }
        struct payment p;
        int r = payment_authorize(APP(call), &ar, &p);
        if (r != PE_OK)
                return fail(call, r);
        return rpc_reply_with(call, &bookstore__payment__v1__authorize_payment_response__descriptor,
                              "payment", payment_to_proto(call, &p), ret);
}

static int apply(struct rpc_call *call, const char *order_id, enum payment_action action,
                 const ProtobufCMessageDescriptor *type, ProtobufCMessage **ret)
{
        struct payment p;
        int r = payment_apply(APP(call), order_id, action, &p);
        if (r != PE_OK)
                return fail(call, r);
        return rpc_reply_with(call, type, "payment", payment_to_proto(call, &p), ret);
}

static int capture(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        return apply(call, ((const Bookstore__Payment__V1__CapturePaymentRequest *)msg)->order_id,
                     PAY_CAPTURE, &bookstore__payment__v1__capture_payment_response__descriptor,
                     ret);
}

static int void_payment(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        return apply(call, ((const Bookstore__Payment__V1__VoidPaymentRequest *)msg)->order_id,
                     PAY_VOID, &bookstore__payment__v1__void_payment_response__descriptor, ret);
}

static int refund(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        return apply(call, ((const Bookstore__Payment__V1__RefundPaymentRequest *)msg)->order_id,
                     PAY_REFUND, &bookstore__payment__v1__refund_payment_response__descriptor, ret);
}

static int get_payment(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Payment__V1__GetPaymentRequest *req = (const void *)msg;
        const struct auth_principal *who = auth_principal_of(call);
        struct payment p;
        int r = payment_get(APP(call), who->subject, who->role, req->order_id, &p);
        if (r != PE_OK)
                return fail(call, r);
        return rpc_reply_with(call, &bookstore__payment__v1__get_payment_response__descriptor,
                              "payment", payment_to_proto(call, &p), ret);
}

static int list_payments(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        struct listing_filter f;
        int e = rpc_listing_request(msg, 'p', &f);
        if (e != LISTING_OK)
                return rpc_listing_refuse(call, e);
        struct payment *rows = rpc_call_alloc(call, f.limit * sizeof(*rows));
        Bookstore__Payment__V1__ListPaymentsResponse *resp =
                rpc_new_message(call, &bookstore__payment__v1__list_payments_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        char next[PAGE_KEY_MAX + 1];
        size_t n = 0;
        if (!rows || !resp || !page)
                return rpc_out_of_memory(call);
        int r = payment_list(APP(call), auth_principal_of(call)->role, &f, rows, &n, next);
        if (r != PE_OK)
                return fail(call, r);
        if (!(resp->payments = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->payments[resp->n_payments++] = payment_to_proto(call, &rows[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

static const struct rpc_method_impl payment_methods[] = {
        {.name = "AuthorizePayment", .unary = authorize, .roles = ROLE_SERVICE},
        {.name = "CapturePayment", .unary = capture, .roles = ROLE_SERVICE},
        {.name = "VoidPayment", .unary = void_payment, .roles = ROLE_SERVICE},
        {.name = "RefundPayment", .unary = refund, .roles = ROLE_SERVICE},
        {.name = "GetPayment", .unary = get_payment, .roles = ROLE_ANY},
        {.name = "ListPayments", .unary = list_payments, .roles = ROLE_ADMIN | ROLE_SERVICE},
};

int payment_grpc_register(struct rpc_server *server, void *app)
{
        return rpc_server_add_service(server, &bookstore__payment__v1__payment_service__descriptor,
                                      NULL, payment_methods,
                                      sizeof(payment_methods) / sizeof(payment_methods[0]), app);
}
