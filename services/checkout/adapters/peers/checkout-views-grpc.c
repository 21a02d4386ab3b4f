/* The participants' listings (ListOrders, ListPayments, ListReservations)
 * for the reconciler; see checkout-ports.h. The three requests share their
 * fields (page, status, order_ids, updated_since) and the three responses
 * theirs (a repeated record with an order id, a status and updated_at, and
 * page), so one function reads them all through their descriptors. */
#include "checkout-peers-grpc.h"

#include "bookstore/common/v1/common.pb-c.h"
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "bookstore/order/v1/order.pb-c.h"
#include "bookstore/payment/v1/payment.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct listing {
        const char *method;
        const ProtobufCMessageDescriptor *request, *response;
        const char *records; /* the response's repeated field */
        const char *key;     /* the record's order id field */
};

static const struct listing listings[] = {
        [CHECKOUT_VIEW_ORDERS] = {"/bookstore.order.v1.OrderService/ListOrders",
                                  &bookstore__order__v1__list_orders_request__descriptor,
                                  &bookstore__order__v1__list_orders_response__descriptor, "orders",
                                  "id"},
        [CHECKOUT_VIEW_PAYMENTS] = {"/bookstore.payment.v1.PaymentService/ListPayments",
                                    &bookstore__payment__v1__list_payments_request__descriptor,
                                    &bookstore__payment__v1__list_payments_response__descriptor,
                                    "payments", "order_id"},
        [CHECKOUT_VIEW_RESERVATIONS] =
                {"/bookstore.inventory.v1.InventoryService/ListReservations",
                 &bookstore__inventory__v1__list_reservations_request__descriptor,
                 &bookstore__inventory__v1__list_reservations_response__descriptor, "reservations",
                 "order_id"},
};

static const char *target_of(struct checkout_peers_grpc *ctx, enum checkout_view_source source)
{
        return source == CHECKOUT_VIEW_ORDERS     ? ctx->order_target
               : source == CHECKOUT_VIEW_PAYMENTS ? ctx->payment_target
                                                  : ctx->inventory_target;
}

/* The field `name` of msg, NULL when the type has none. */
static void *field(const ProtobufCMessage *msg, const char *name,
                   const ProtobufCFieldDescriptor **ret)
{
        const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
        if (ret)
                *ret = f;
        return f ? (char *)msg + f->offset : NULL;
}

static void read_record(const ProtobufCMessage *rec, const char *key, struct checkout_view *out)
{
        memset(out, 0, sizeof(*out));
        char **id = field(rec, key, NULL);
        int *status = field(rec, "status", NULL);
        Google__Protobuf__Timestamp **updated = field(rec, "updated_at", NULL);
        snprintf(out->order_id, sizeof(out->order_id), "%s", id && *id ? *id : "");
        out->status = status ? *status : 0;
        out->updated_s = updated && *updated ? (*updated)->seconds : 0;
        char **made_by = field(rec, "idempotency_key", NULL); /* orders: "<saga id>:place_order" */
        const char *suffix = made_by && *made_by ? strchr(*made_by, ':') : NULL;
        if (suffix && suffix - *made_by == 36 && !strcmp(suffix, ":place_order"))
                snprintf(out->saga_id, sizeof(out->saga_id), "%.36s", *made_by);
}

static int views_list(void *self, enum checkout_view_source source,
                      const struct checkout_view_query *q, struct checkout_view *ret, size_t *ret_n,
                      char next_token[PAGE_KEY_MAX + 1])
{
        struct checkout_peers_grpc *ctx = self;
        const struct listing *l = &listings[source];
        ProtobufCMessage *req = calloc(1, l->request->sizeof_message);
        if (!req)
                return -ENOMEM;
        protobuf_c_message_init(l->request, req);
        Bookstore__Common__V1__PageRequest page;
        bookstore__common__v1__page_request__init(&page);
        page.page_size = CHECKOUT_VIEW_PAGE;
        page.page_token = (char *)(q->page_token ? q->page_token : "");
        Google__Protobuf__Timestamp since;
        google__protobuf__timestamp__init(&since);
        since.seconds = q->updated_since_s;
        *(void **)field(req, "page", NULL) = &page;
        *(int *)field(req, "status", NULL) = q->status;
        const ProtobufCFieldDescriptor *ids;
        *(const char *const **)field(req, "order_ids", &ids) = q->order_ids;
        *(size_t *)((char *)req + ids->quantifier_offset) = q->n_order_ids;
        if (q->updated_since_s)
                *(void **)field(req, "updated_since", NULL) = &since;
        struct checkout_call cc = {.idempotency_key = "reconcile", .trace_id = ""};
        struct checkout_reply reply;
        ProtobufCMessage *resp = NULL;
        checkout_peers_call(ctx, &cc, target_of(ctx, source), l->method, req, l->response, &resp,
                            &reply);
        free(req);
        *ret_n = 0;
        next_token[0] = '\0';
        if (!resp) /* a participant's "no", or it could not be read: no pass without it */
                return reply.outcome == SAGA_OUTCOME_BUSINESS ? -EREMOTEIO : -ECONNREFUSED;
        const ProtobufCFieldDescriptor *records;
        ProtobufCMessage **rows = *(ProtobufCMessage ***)field(resp, l->records, &records);
        size_t n = *(size_t *)((char *)resp + records->quantifier_offset);
        for (size_t i = 0; i < n && i < CHECKOUT_VIEW_PAGE; i++)
                read_record(rows[i], l->key, &ret[(*ret_n)++]);
        Bookstore__Common__V1__PageResponse **next = field(resp, "page", NULL);
        if (*next && (*next)->next_page_token)
                snprintf(next_token, PAGE_KEY_MAX + 1, "%s", (*next)->next_page_token);
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

static const struct checkout_views_ops views_ops = {.list = views_list};

struct checkout_views checkout_views_grpc(struct checkout_peers_grpc *ctx)
{
        return (struct checkout_views){.ops = &views_ops, .self = ctx};
}
