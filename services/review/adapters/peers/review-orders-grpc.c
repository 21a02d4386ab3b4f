/* Adapter of the orders port: OrderService/ListOrders (status DELIVERED,
 * book_id, one row) with the caller's authorization, so the order service
 * decides whose orders those are. */
#include "review-orders-grpc.h"

#include "bookstore/order/v1/order.pb-c.h"
#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int grpc_delivered(void *self, const char *authorization, const char *book_id,
                          char seller_id[64])
{
        const struct review_orders_grpc *ctx = self;
        Bookstore__Common__V1__PageRequest page;
        bookstore__common__v1__page_request__init(&page);
        page.page_size = 1;
        Bookstore__Order__V1__ListOrdersRequest req;
        bookstore__order__v1__list_orders_request__init(&req);
        req.status = BOOKSTORE__ORDER__V1__ORDER_STATUS__ORDER_STATUS_DELIVERED;
        req.book_id = (char *)book_id;
        req.page = &page;
        ProtobufCMessage *resp;
        int r = rpc_client_unary_as(ctx->client, ctx->target,
                                    "/bookstore.order.v1.OrderService/ListOrders", &req.base,
                                    &bookstore__order__v1__list_orders_response__descriptor,
                                    authorization, ctx->timeout_ms, &resp);
        if (r < 0)
                return r == -ENOENT ? -EIO : r; /* a listing is never "not found" */
        const Bookstore__Order__V1__ListOrdersResponse *list = (const void *)resp;
        r = -ENOENT;
        for (size_t i = 0; list->n_orders && i < list->orders[0]->n_items && r; i++) {
                const Bookstore__Order__V1__OrderItem *it = list->orders[0]->items[i];
                if (!strcmp(it->book_id, book_id)) {
                        snprintf(seller_id, 64, "%s", it->seller_id);
                        r = 0;
                }
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        return r;
}

static const struct review_orders_ops orders_grpc_ops = {.delivered = grpc_delivered};

struct review_orders review_orders_grpc(struct review_orders_grpc *ctx)
{
        return (struct review_orders){.ops = &orders_grpc_ops, .self = ctx};
}
