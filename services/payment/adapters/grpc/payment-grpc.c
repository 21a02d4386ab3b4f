/* bookstore.payment.v1.PaymentService handlers: proto <-> domain mapping. */
#include "payment-grpc.h"

#include "bookstore/payment/v1/payment.pb-c.h"
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

static const struct rpc_method_impl payment_methods[] = {
        {.name = "AuthorizePayment", .unary = authorize, .roles = ROLE_SERVICE},
        {.name = "CapturePayment", .unary = capture, .roles = ROLE_SERVICE},
        {.name = "VoidPayment", .unary = void_payment, .roles = ROLE_SERVICE},
        {.name = "RefundPayment", .unary = refund, .roles = ROLE_SERVICE},
        {.name = "GetPayment", .unary = get_payment, .roles = ROLE_ANY},
};

int payment_grpc_register(struct rpc_server *server, void *app)
{
        return rpc_server_add_service(server, &bookstore__payment__v1__payment_service__descriptor,
                                      NULL, payment_methods,
                                      sizeof(payment_methods) / sizeof(payment_methods[0]), app);
}
