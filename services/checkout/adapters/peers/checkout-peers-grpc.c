/* Participants over gRPC; see checkout-peers-grpc.h. */
#include "checkout-peers-grpc.h"

#include "bookstore/identity/v1/identity.pb-c.h"
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "bookstore/order/v1/order.pb-c.h"
#include "bookstore/payment/v1/payment.pb-c.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/utf8.h"
#include "peers/identity.h"
#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TOKEN_RENEW_MARGIN_S = 60, REASON_MAX = 200 };

void checkout_peers_grpc_init(struct checkout_peers_grpc *ctx)
{
        pthread_mutex_init(&ctx->lock, NULL);
        ctx->token[0] = '\0';
        ctx->token_expires_s = 0;
}

void checkout_peers_grpc_free(struct checkout_peers_grpc *ctx)
{
        pthread_mutex_destroy(&ctx->lock);
}

/* Asks identity for a SERVICE token; no lock held. */
static int issue_token(struct checkout_peers_grpc *ctx, char *token, size_t len,
                       int64_t *ret_expires_s, struct rpc_client_status *st)
{
        Bookstore__Identity__V1__IssueServiceTokenRequest req;
        bookstore__identity__v1__issue_service_token_request__init(&req);
        req.service_name = (char *)ctx->service_name;
        req.client_secret = (char *)ctx->service_secret;
        struct rpc_client_call call = {
                .target = ctx->identity_target,
                .method = "/bookstore.identity.v1.IdentityService/IssueServiceToken",
                .request = &req.base,
                .response_type = &bookstore__identity__v1__issue_service_token_response__descriptor,
                .timeout_ms = ctx->timeout_ms};
        ProtobufCMessage *resp = NULL;
        int r = rpc_client_unary(ctx->client, &call, &resp, st);
        if (r == 0 && st->code == RPC_OK) {
                const Bookstore__Identity__V1__IssueServiceTokenResponse *t = (const void *)resp;
                snprintf(token, len, "%s", t->access_token);
                *ret_expires_s = t->expires_at ? t->expires_at->seconds : 0;
        } else if (r == 0) {
                r = -EACCES;
        } else {
                st->code = RPC_UNAVAILABLE;
                snprintf(st->message, sizeof(st->message), "%s", strerror(-r));
        }
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        return r;
}

/* "Bearer <token>" into out. A token close to its expiry is renewed by one
 * caller while the others go on using it (it is still valid); a renewal that
 * fails leaves it in place until it really expires. Without a valid token,
 * each caller asks identity itself. */
static int service_authorization(struct checkout_peers_grpc *ctx, char *out, size_t len,
                                 struct rpc_client_status *st)
{
        int64_t now = (int64_t)time(NULL);
        pthread_mutex_lock(&ctx->lock);
        bool valid = ctx->token[0] && ctx->token_expires_s > now;
        bool renew =
                !valid || (ctx->token_expires_s - TOKEN_RENEW_MARGIN_S <= now && !ctx->renewing);
        if (valid)
                snprintf(out, len, "Bearer %s", ctx->token);
        if (valid && renew)
                ctx->renewing = true;
        pthread_mutex_unlock(&ctx->lock);
        if (!renew)
                return 0;
        char *token = malloc(sizeof(ctx->token));
        int64_t expires = 0;
        int r = token ? issue_token(ctx, token, sizeof(ctx->token), &expires, st) : -ENOMEM;
        pthread_mutex_lock(&ctx->lock);
        if (valid)
                ctx->renewing = false;
        if (r == 0) {
                snprintf(ctx->token, sizeof(ctx->token), "%s", token);
                ctx->token_expires_s = expires;
                snprintf(out, len, "Bearer %s", ctx->token);
        }
        pthread_mutex_unlock(&ctx->lock);
        free(token);
        return valid ? 0 : r; /* a failed renewal of a valid token is not this call's failure */
}

static void forget_token(struct checkout_peers_grpc *ctx)
{
        pthread_mutex_lock(&ctx->lock);
        ctx->token[0] = '\0';
        pthread_mutex_unlock(&ctx->lock);
}

/* How a participant's status bears on the saga. Only a request that never
 * left is unreached: no connection could be made (rpc_client_status's
 * not_sent), no service token (the call was not made), or a token the
 * participant's guard refused before any handler ran. Everything else
 * that is not OK or a definitive "no" may have been applied -- UNAVAILABLE
 * included: it also comes after a participant committed (a reset connection,
 * a lost COMMIT answer) -- and is compensated if it comes to that; every
 * compensation is fenced, so undoing what never happened is safe. */
static enum saga_outcome outcome_of(int code)
{
        switch (code) {
        case RPC_OK:
                return SAGA_OUTCOME_OK;
        case RPC_UNAUTHENTICATED:
                return SAGA_OUTCOME_UNREACHED;
        case RPC_UNAVAILABLE:
        case RPC_RESOURCE_EXHAUSTED:
        case RPC_ABORTED:
        case RPC_DEADLINE_EXCEEDED:
        case RPC_CANCELLED:
        case RPC_UNKNOWN:
        case RPC_INTERNAL:
        case RPC_DATA_LOSS:
                return SAGA_OUTCOME_MAYBE_APPLIED;
        default: /* INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED, ... */
                return SAGA_OUTCOME_BUSINESS;
        }
}

/* The participant's status as "CODE: message", always valid UTF-8 (the
 * message is the participant's and may be cut anywhere). */
static void reply_from(const struct rpc_client_status *st, struct checkout_reply *ret)
{
        ret->outcome = outcome_of(st->code);
        ret->error[0] = '\0';
        if (st->code != RPC_OK) {
                snprintf(ret->error, sizeof(ret->error), "%s: %.230s", rpc_code_name(st->code),
                         st->message);
                utf8_sanitize(ret->error);
        }
}

void checkout_peers_call(struct checkout_peers_grpc *ctx, const struct checkout_call *cc,
                         const char *target, const char *method, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **ret_resp,
                         struct checkout_reply *ret)
{
        struct rpc_client_status st = {0};
        char authorization[2100];
        *ret_resp = NULL;
        if (service_authorization(ctx, authorization, sizeof(authorization), &st) < 0) {
                reply_from(&st, ret);
                /* the participant was not called, whatever identity said (a
                 * refused secret is fixed by an operator, then retried) */
                ret->outcome = SAGA_OUTCOME_UNREACHED;
                return;
        }
        char traceparent[64] = "", span[17];
        random_hex(span, 8);
        if (cc->trace_id && strlen(cc->trace_id) == 32)
                snprintf(traceparent, sizeof(traceparent), "00-%s-%s-01", cc->trace_id, span);
        struct rpc_metadata md[] = {{"authorization", authorization},
                                    {"idempotency-key", cc->idempotency_key},
                                    {"traceparent", traceparent}};
        struct rpc_client_call call = {.target = target,
                                       .method = method,
                                       .request = req,
                                       .response_type = resp_type,
                                       .timeout_ms = ctx->timeout_ms,
                                       .metadata = md,
                                       .n_metadata = traceparent[0] ? 3 : 2};
        int r = rpc_client_unary(ctx->client, &call, ret_resp, &st);
        if (r < 0) {
                st.code = RPC_UNAVAILABLE;
                snprintf(st.message, sizeof(st.message), "call not made: %s", strerror(-r));
        }
        if (st.code == RPC_UNAUTHENTICATED)
                forget_token(ctx); /* expired or revoked: the next attempt gets a new one */
        reply_from(&st, ret);
        if (r < 0 || st.not_sent)
                ret->outcome = SAGA_OUTCOME_UNREACHED;
        if (st.code != RPC_OK && *ret_resp) {
                protobuf_c_message_free_unpacked(*ret_resp, NULL);
                *ret_resp = NULL;
        }
}

static Bookstore__Common__V1__Address address_to_proto(const struct checkout_address *a)
{
        Bookstore__Common__V1__Address p;
        bookstore__common__v1__address__init(&p);
        p.recipient = (char *)a->recipient;
        p.line1 = (char *)a->line1;
        p.line2 = (char *)a->line2;
        p.city = (char *)a->city;
        p.postal_code = (char *)a->postal_code;
        p.country_code = (char *)a->country_code;
        return p;
}

static void peers_create_order(void *self, const struct checkout_call *cc,
                               const struct checkout_saga *s, char order_id[64],
                               struct checkout_money *total, struct checkout_reply *ret)
{
        struct checkout_peers_grpc *ctx = self;
        Bookstore__Order__V1__OrderItemRequest items[CHECKOUT_MAX_ITEMS];
        Bookstore__Order__V1__OrderItemRequest *item_ptrs[CHECKOUT_MAX_ITEMS];
        for (size_t i = 0; i < s->n_items; i++) {
                bookstore__order__v1__order_item_request__init(&items[i]);
                items[i].book_id = (char *)s->items[i].book_id;
                items[i].quantity = s->items[i].quantity;
                item_ptrs[i] = &items[i];
        }
        Bookstore__Common__V1__Address address = address_to_proto(&s->address);
        Bookstore__Order__V1__CreateOrderRequest req;
        bookstore__order__v1__create_order_request__init(&req);
        req.items = item_ptrs;
        req.n_items = s->n_items;
        req.shipping_address = &address;
        req.idempotency_key = (char *)cc->idempotency_key;
        req.customer_id = (char *)s->customer_id;
        ProtobufCMessage *resp;
        checkout_peers_call(ctx, cc, ctx->order_target,
                            "/bookstore.order.v1.OrderService/CreateOrder", &req.base,
                            &bookstore__order__v1__create_order_response__descriptor, &resp, ret);
        if (!resp)
                return;
        const Bookstore__Order__V1__Order *o =
                ((const Bookstore__Order__V1__CreateOrderResponse *)resp)->order;
        if (o && o->total) {
                snprintf(order_id, 64, "%s", o->id);
                snprintf(total->currency, sizeof(total->currency), "%s", o->total->currency_code);
                total->units = o->total->units;
                total->nanos = o->total->nanos;
        } else {
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error =
                                                       "INTERNAL: order answered without an order"};
        }
        protobuf_c_message_free_unpacked(resp, NULL);
}

/* At most REASON_MAX bytes, cut on a UTF-8 character boundary. */
static void short_reason(char *out, size_t len, const char *reason)
{
        snprintf(out, len, "%s", reason ? reason : "");
        size_t n = strlen(out);
        if (n <= REASON_MAX)
                return;
        n = REASON_MAX;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
                n--;
        out[n] = '\0';
}

static void peers_set_order_status(void *self, const struct checkout_call *cc, const char *order_id,
                                   enum checkout_order_status status, const char *reason,
                                   struct checkout_reply *ret)
{
        struct checkout_peers_grpc *ctx = self;
        char why[REASON_MAX + 64];
        short_reason(why, sizeof(why), reason);
        Bookstore__Order__V1__ChangeOrderStatusRequest req;
        bookstore__order__v1__change_order_status_request__init(&req);
        req.order_id = (char *)order_id;
        req.status = (Bookstore__Order__V1__OrderStatus)status;
        req.reason = why;
        ProtobufCMessage *resp;
        checkout_peers_call(ctx, cc, ctx->order_target,
                            "/bookstore.order.v1.OrderService/ChangeOrderStatus", &req.base,
                            &bookstore__order__v1__change_order_status_response__descriptor, &resp,
                            ret);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
}

static void peers_authorize(void *self, const struct checkout_call *cc, const char *order_id,
                            const char *customer_id, const struct checkout_money *amount,
                            const char *token, struct checkout_reply *ret)
{
        struct checkout_peers_grpc *ctx = self;
        Bookstore__Common__V1__Money money;
        bookstore__common__v1__money__init(&money);
        money.currency_code = (char *)amount->currency;
        money.units = amount->units;
        money.nanos = amount->nanos;
        Bookstore__Payment__V1__AuthorizePaymentRequest req;
        bookstore__payment__v1__authorize_payment_request__init(&req);
        req.order_id = (char *)order_id;
        req.customer_id = (char *)customer_id;
        req.amount = &money;
        req.payment_method_token = (char *)token;
        ProtobufCMessage *resp;
        checkout_peers_call(ctx, cc, ctx->payment_target,
                            "/bookstore.payment.v1.PaymentService/AuthorizePayment", &req.base,
                            &bookstore__payment__v1__authorize_payment_response__descriptor, &resp,
                            ret);
        if (!resp)
                return;
        const Bookstore__Payment__V1__Payment *p =
                ((const Bookstore__Payment__V1__AuthorizePaymentResponse *)resp)->payment;
        if (!p || p->status != BOOKSTORE__PAYMENT__V1__PAYMENT_STATUS__PAYMENT_STATUS_AUTHORIZED) {
                ret->outcome = SAGA_OUTCOME_BUSINESS;
                if (p &&
                    p->status == BOOKSTORE__PAYMENT__V1__PAYMENT_STATUS__PAYMENT_STATUS_DECLINED)
                        snprintf(ret->error, sizeof(ret->error), "payment declined: %s",
                                 p->decline_reason);
                else
                        snprintf(ret->error, sizeof(ret->error),
                                 "payment is not authorized (status %d)", p ? (int)p->status : 0);
        }
        protobuf_c_message_free_unpacked(resp, NULL);
}

/* The participant RPCs that take only the order id (capture, void, refund;
 * release, commit, restock): each request is `string order_id = 1`, so one
 * message of that shape serves them all on the wire. */
struct order_id_method {
        const char *method;
        const ProtobufCMessageDescriptor *response;
};

static void call_with_order_id(struct checkout_peers_grpc *ctx, const struct checkout_call *cc,
                               const char *target, const struct order_id_method *m,
                               const char *order_id, struct checkout_reply *ret)
{
        Bookstore__Payment__V1__CapturePaymentRequest req;
        bookstore__payment__v1__capture_payment_request__init(&req);
        req.order_id = (char *)order_id;
        ProtobufCMessage *resp;
        checkout_peers_call(ctx, cc, target, m->method, &req.base, m->response, &resp, ret);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
}

static void peers_payment(void *self, const struct checkout_call *cc, enum checkout_payment_op op,
                          const char *order_id, struct checkout_reply *ret)
{
        static const struct order_id_method methods[] = {
                [CHECKOUT_PAY_CAPTURE] =
                        {"/bookstore.payment.v1.PaymentService/CapturePayment",
                         &bookstore__payment__v1__capture_payment_response__descriptor},
                [CHECKOUT_PAY_VOID] = {"/bookstore.payment.v1.PaymentService/VoidPayment",
                                       &bookstore__payment__v1__void_payment_response__descriptor},
                [CHECKOUT_PAY_REFUND] =
                        {"/bookstore.payment.v1.PaymentService/RefundPayment",
                         &bookstore__payment__v1__refund_payment_response__descriptor},
        };
        struct checkout_peers_grpc *ctx = self;
        call_with_order_id(ctx, cc, ctx->payment_target, &methods[op], order_id, ret);
}

static void peers_reserve(void *self, const struct checkout_call *cc, const char *order_id,
                          const struct checkout_item *items, size_t n, struct checkout_reply *ret)
{
        struct checkout_peers_grpc *ctx = self;
        Bookstore__Inventory__V1__StockItem stock[CHECKOUT_MAX_ITEMS];
        Bookstore__Inventory__V1__StockItem *stock_ptrs[CHECKOUT_MAX_ITEMS];
        for (size_t i = 0; i < n; i++) {
                bookstore__inventory__v1__stock_item__init(&stock[i]);
                stock[i].book_id = (char *)items[i].book_id;
                stock[i].quantity = items[i].quantity;
                stock_ptrs[i] = &stock[i];
        }
        Bookstore__Inventory__V1__ReserveStockRequest req;
        bookstore__inventory__v1__reserve_stock_request__init(&req);
        req.order_id = (char *)order_id;
        req.items = stock_ptrs;
        req.n_items = n;
        ProtobufCMessage *resp;
        checkout_peers_call(ctx, cc, ctx->inventory_target,
                            "/bookstore.inventory.v1.InventoryService/ReserveStock", &req.base,
                            &bookstore__inventory__v1__reserve_stock_response__descriptor, &resp,
                            ret);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
}

static void peers_stock(void *self, const struct checkout_call *cc, enum checkout_stock_op op,
                        const char *order_id, struct checkout_reply *ret)
{
        static const struct order_id_method methods[] = {
                [CHECKOUT_STOCK_RELEASE] =
                        {"/bookstore.inventory.v1.InventoryService/ReleaseStock",
                         &bookstore__inventory__v1__release_stock_response__descriptor},
                [CHECKOUT_STOCK_COMMIT] =
                        {"/bookstore.inventory.v1.InventoryService/CommitReservation",
                         &bookstore__inventory__v1__commit_reservation_response__descriptor},
                [CHECKOUT_STOCK_RESTOCK] =
                        {"/bookstore.inventory.v1.InventoryService/RestockOrder",
                         &bookstore__inventory__v1__restock_order_response__descriptor},
        };
        struct checkout_peers_grpc *ctx = self;
        call_with_order_id(ctx, cc, ctx->inventory_target, &methods[op], order_id, ret);
}

static int peers_order_of(void *self, const char *order_id, const char *authorization,
                          struct checkout_order_view *ret)
{
        struct checkout_peers_grpc *ctx = self;
        Bookstore__Order__V1__GetOrderRequest req;
        bookstore__order__v1__get_order_request__init(&req);
        req.order_id = (char *)order_id;
        ProtobufCMessage *resp;
        int r = rpc_client_unary_as(ctx->client, ctx->order_target,
                                    "/bookstore.order.v1.OrderService/GetOrder", &req.base,
                                    &bookstore__order__v1__get_order_response__descriptor,
                                    authorization, ctx->timeout_ms, &resp);
        if (r < 0)
                return r;
        const Bookstore__Order__V1__Order *o =
                ((const Bookstore__Order__V1__GetOrderResponse *)resp)->order;
        if (o) {
                snprintf(ret->customer_id, sizeof(ret->customer_id), "%s", o->customer_id);
                ret->status = (int)o->status;
                ret->n_sellers = 0;
                for (size_t i = 0; i < o->n_items && i < CHECKOUT_MAX_ITEMS; i++)
                        snprintf(ret->sellers[ret->n_sellers++], sizeof(ret->sellers[0]), "%s",
                                 o->items[i]->seller_id);
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        return o ? 0 : -EIO;
}

static int peers_saved_address(void *self, const char *address_id, const char *authorization,
                               struct checkout_address *ret)
{
        struct checkout_peers_grpc *ctx = self;
        ProtobufCMessage *resp;
        const Bookstore__Common__V1__Address *a;
        int r = peers_identity_saved_address(ctx->client, ctx->identity_target, authorization,
                                             ctx->timeout_ms, address_id, &resp, &a);
        if (r < 0)
                return r;
        snprintf(ret->recipient, sizeof(ret->recipient), "%s", a->recipient);
        snprintf(ret->line1, sizeof(ret->line1), "%s", a->line1);
        snprintf(ret->line2, sizeof(ret->line2), "%s", a->line2);
        snprintf(ret->city, sizeof(ret->city), "%s", a->city);
        snprintf(ret->postal_code, sizeof(ret->postal_code), "%s", a->postal_code);
        snprintf(ret->country_code, sizeof(ret->country_code), "%s", a->country_code);
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

static const struct checkout_participants_ops peers_grpc_ops = {
        .create_order = peers_create_order,
        .set_order_status = peers_set_order_status,
        .authorize = peers_authorize,
        .payment = peers_payment,
        .reserve = peers_reserve,
        .stock = peers_stock,
        .order_of = peers_order_of,
        .saved_address = peers_saved_address,
};

struct checkout_participants checkout_peers_grpc(struct checkout_peers_grpc *ctx)
{
        return (struct checkout_participants){.ops = &peers_grpc_ops, .self = ctx};
}
