/* bookstore.order.v1.OrderService handlers: proto <-> domain mapping. */
#include "order-grpc.h"

#include "bookstore/order/v1/order.pb-c.h"
#include "core/log.h"
#include "rpc/pb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(struct rpc_call *call, int r, const char *detail)
{
        return rpc_fail(call, &order_errors, r, detail,
                        "a dependency (database, catalog or identity) is unavailable; retry");
}

#define APP(call) ((struct order_app *)rpc_call_service_ctx(call))

static struct order_caller caller_of(struct rpc_call *call)
{
        const struct auth_principal *p = auth_principal_of(call);
        return (struct order_caller){.subject = p ? p->subject : "",
                                     .role = p ? p->role : 0,
                                     .authorization = rpc_call_metadata(call, "authorization")};
}

static Bookstore__Common__V1__Money *money_to_proto(struct rpc_call *call,
                                                    const struct order_money *m)
{
        Bookstore__Common__V1__Money *p =
                rpc_new_message(call, &bookstore__common__v1__money__descriptor);
        if (p) {
                p->currency_code = rpc_call_strdup(call, m->currency);
                p->units = m->units;
                p->nanos = m->nanos;
        }
        return p;
}

static Bookstore__Order__V1__Order *order_to_proto(struct rpc_call *call, const struct order *o)
{
        Bookstore__Order__V1__Order *p =
                rpc_new_message(call, &bookstore__order__v1__order__descriptor);
        Bookstore__Common__V1__Address *a =
                rpc_new_message(call, &bookstore__common__v1__address__descriptor);
        if (!p || !a || !(p->items = rpc_call_alloc(call, (o->n_items + 1) * sizeof(void *))))
                return NULL;
        for (size_t i = 0; i < o->n_items; i++) {
                const struct order_item *it = &o->items[i];
                Bookstore__Order__V1__OrderItem *pi =
                        rpc_new_message(call, &bookstore__order__v1__order_item__descriptor);
                if (!pi)
                        return NULL;
                pi->book_id = rpc_call_strdup(call, it->book_id);
                pi->title = rpc_call_strdup(call, it->title);
                pi->seller_id = rpc_call_strdup(call, it->seller_id);
                pi->quantity = it->quantity;
                pi->unit_price = money_to_proto(call, &it->unit_price);
                pi->line_total = money_to_proto(call, &it->line_total);
                p->items[p->n_items++] = pi;
        }
        a->recipient = rpc_call_strdup(call, o->address.recipient);
        a->line1 = rpc_call_strdup(call, o->address.line1);
        a->line2 = rpc_call_strdup(call, o->address.line2);
        a->city = rpc_call_strdup(call, o->address.city);
        a->postal_code = rpc_call_strdup(call, o->address.postal_code);
        a->country_code = rpc_call_strdup(call, o->address.country_code);
        p->id = rpc_call_strdup(call, o->id);
        p->customer_id = rpc_call_strdup(call, o->customer_id);
        p->total = money_to_proto(call, &o->total);
        p->status = (Bookstore__Order__V1__OrderStatus)o->status;
        p->status_reason = rpc_call_strdup(call, o->status_reason);
        p->idempotency_key = rpc_call_strdup(call, o->idempotency_key);
        p->shipping_address = a;
        p->created_at = rpc_new_timestamp(call, o->created_at);
        p->updated_at = rpc_new_timestamp(call, o->updated_at);
        return p; /* a string or message that could not be made: the call remembers it */
}

static bool copy(char *out, size_t len, const char *in)
{
        return in && (size_t)snprintf(out, len, "%s", in) < len;
}

static int create_order(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__CreateOrderRequest *req = (const void *)msg;
        struct order_caller caller = caller_of(call);
        struct order_item_request *items =
                rpc_call_alloc(call, (req->n_items + 1) * sizeof(*items));
        struct order *o = rpc_call_alloc(call, sizeof(*o));
        struct order_address inline_address = {0};
        if (!items || !o)
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < req->n_items; i++)
                items[i] = (struct order_item_request){req->items[i]->book_id,
                                                       req->items[i]->quantity};
        const Bookstore__Common__V1__Address *a = req->shipping_address;
        if (a && !(copy(inline_address.recipient, sizeof(inline_address.recipient), a->recipient) &&
                   copy(inline_address.line1, sizeof(inline_address.line1), a->line1) &&
                   copy(inline_address.line2, sizeof(inline_address.line2), a->line2) &&
                   copy(inline_address.city, sizeof(inline_address.city), a->city) &&
                   copy(inline_address.postal_code, sizeof(inline_address.postal_code),
                        a->postal_code) &&
                   copy(inline_address.country_code, sizeof(inline_address.country_code),
                        a->country_code)))
                return fail(call, OE_ADDRESS_INVALID, NULL);
        struct order_create_request cr = {.items = items,
                                          .n_items = req->n_items,
                                          .shipping_address_id = req->shipping_address_id,
                                          .inline_address = a ? &inline_address : NULL,
                                          .idempotency_key = req->idempotency_key,
                                          .customer_id = req->customer_id};
        int64_t left_ms = rpc_call_deadline_remaining_ms(call);
        if (left_ms >= 0)
                cr.deadline_ms = core_env_now_ms(&APP(call)->env) + left_ms;
        int r = order_create(APP(call), &caller, &cr, o);
        if (r != OE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__order__v1__create_order_response__descriptor,
                              "order", order_to_proto(call, o), ret);
}

static int get_order(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__GetOrderRequest *req = (const void *)msg;
        struct order_caller caller = caller_of(call);
        struct order *o = rpc_call_alloc(call, sizeof(*o));
        if (!o)
                return rpc_out_of_memory(call);
        int r = order_get(APP(call), &caller, req->order_id, o);
        if (r != OE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__order__v1__get_order_response__descriptor, "order",
                              order_to_proto(call, o), ret);
}

static int list_orders(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__ListOrdersRequest *req = (const void *)msg;
        struct order_caller caller = caller_of(call);
        int32_t size = req->page ? req->page->page_size : 0;
        if (size < 0)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "page_size must not be negative");
        /* an order has room for 50 lines (70 KB): a page takes what its size needs */
        struct order *orders = rpc_call_alloc(call, (order_page_size(size) + 1) * sizeof(*orders));
        char next[32];
        size_t n = 0;
        if (!orders)
                return rpc_out_of_memory(call);
        struct order_list_filter filter = {
                .status = (enum order_status)req->status,
                .ids = (const char *const *)req->order_ids,
                .n_ids = req->n_order_ids,
                .updated_since = req->updated_since ? req->updated_since->seconds : 0,
                .book_id = req->book_id};
        int r = order_list(APP(call), &caller, &filter, size,
                           req->page ? req->page->page_token : "", orders, &n, next);
        if (r != OE_OK)
                return fail(call, r, NULL);
        Bookstore__Order__V1__ListOrdersResponse *resp =
                rpc_new_message(call, &bookstore__order__v1__list_orders_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        if (!resp || !page || !(resp->orders = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->orders[resp->n_orders++] = order_to_proto(call, &orders[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

/* The status-changing RPCs share one shape: (order_id, [reason]) -> Order. */
enum change_kind { CHANGE_BY_SAGA, CHANGE_SHIPPED, CHANGE_DELIVERED, CHANGE_CANCEL };

static int change(struct rpc_call *call, enum change_kind kind, const char *id,
                  enum order_status to, const char *reason, const ProtobufCMessageDescriptor *type,
                  ProtobufCMessage **ret)
{
        struct order_caller caller = caller_of(call);
        struct order *o = rpc_call_alloc(call, sizeof(*o));
        char explain[300] = "";
        if (!o)
                return rpc_out_of_memory(call);
        int r = -EINVAL;
        switch (kind) { /* no default: -Wswitch catches a kind without its use case */
        case CHANGE_BY_SAGA:
                r = order_change_status(APP(call), id, to, reason, o, explain, sizeof(explain));
                break;
        case CHANGE_CANCEL:
                r = order_request_cancel(APP(call), &caller, id, reason, o, explain,
                                         sizeof(explain));
                break;
        case CHANGE_SHIPPED:
        case CHANGE_DELIVERED:
                r = order_mark(APP(call), &caller, id, to, o, explain, sizeof(explain));
                break;
        }
        if (r != OE_OK)
                return fail(call, r, explain);
        return rpc_reply_with(call, type, "order", order_to_proto(call, o), ret);
}

static int change_order_status(struct rpc_call *call, const ProtobufCMessage *msg,
                               ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__ChangeOrderStatusRequest *req = (const void *)msg;
        return change(call, CHANGE_BY_SAGA, req->order_id, (enum order_status)req->status,
                      req->reason, &bookstore__order__v1__change_order_status_response__descriptor,
                      ret);
}

static int mark_shipped(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__MarkShippedRequest *req = (const void *)msg;
        return change(call, CHANGE_SHIPPED, req->order_id, ORDER_SHIPPED, NULL,
                      &bookstore__order__v1__mark_shipped_response__descriptor, ret);
}

static int mark_delivered(struct rpc_call *call, const ProtobufCMessage *msg,
                          ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__MarkDeliveredRequest *req = (const void *)msg;
        return change(call, CHANGE_DELIVERED, req->order_id, ORDER_DELIVERED, NULL,
                      &bookstore__order__v1__mark_delivered_response__descriptor, ret);
}

static int request_cancel(struct rpc_call *call, const ProtobufCMessage *msg,
                          ProtobufCMessage **ret)
{
        const Bookstore__Order__V1__RequestCancelRequest *req = (const void *)msg;
        return change(call, CHANGE_CANCEL, req->order_id, ORDER_CANCEL_REQUESTED, req->reason,
                      &bookstore__order__v1__request_cancel_response__descriptor, ret);
}

static const struct rpc_method_impl order_methods[] = {
        {.name = "CreateOrder", .unary = create_order, .roles = ROLE_CUSTOMER | ROLE_SERVICE},
        {.name = "GetOrder", .unary = get_order, .roles = ROLE_ANY},
        {.name = "ListOrders", .unary = list_orders, .roles = ROLE_ANY},
        {.name = "ChangeOrderStatus", .unary = change_order_status, .roles = ROLE_SERVICE},
        {.name = "MarkShipped", .unary = mark_shipped, .roles = ROLE_SELLER | ROLE_ADMIN},
        {.name = "MarkDelivered", .unary = mark_delivered, .roles = ROLE_SELLER | ROLE_ADMIN},
        {.name = "RequestCancel", .unary = request_cancel, .roles = ROLE_CUSTOMER},
};

int order_grpc_register(struct rpc_server *server, void *app)
{
        return rpc_server_add_service(server, &bookstore__order__v1__order_service__descriptor,
                                      NULL, order_methods,
                                      sizeof(order_methods) / sizeof(order_methods[0]), app);
}
