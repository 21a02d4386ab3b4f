/* Peers of the order service over gRPC; see order-peers-grpc.h. */
#include "order-peers-grpc.h"

#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "core/random.h"
#include "peers/identity.h"
#include "bookstore/identity/v1/identity.pb-c.h"
#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int peers_book(void *self, const char *book_id, const char *authorization,
                      struct order_book *ret)
{
        const struct order_peers_grpc *ctx = self;
        Bookstore__Catalog__V1__GetBookRequest req;
        bookstore__catalog__v1__get_book_request__init(&req);
        req.book_id = (char *)book_id;
        req.fresh = true; /* a price and status to sell at, not a cached copy */
        ProtobufCMessage *resp;
        int r = rpc_client_unary_as(ctx->client, ctx->catalog_target,
                                    "/bookstore.catalog.v1.CatalogService/GetBook", &req.base,
                                    &bookstore__catalog__v1__get_book_response__descriptor,
                                    authorization, ctx->timeout_ms, &resp);
        if (r < 0)
                return r;
        const Bookstore__Catalog__V1__Book *b =
                ((Bookstore__Catalog__V1__GetBookResponse *)resp)->book;
        if (!b || !b->price) {
                r = -EIO;
        } else {
                snprintf(ret->title, sizeof(ret->title), "%s", b->title);
                snprintf(ret->seller_id, sizeof(ret->seller_id), "%s", b->seller_id);
                snprintf(ret->price.currency, sizeof(ret->price.currency), "%s",
                         b->price->currency_code);
                ret->price.units = b->price->units;
                ret->price.nanos = b->price->nanos;
                ret->on_sale =
                        b->status == BOOKSTORE__CATALOG__V1__BOOK_STATUS__BOOK_STATUS_ON_SALE;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        return r;
}

static int peers_address(void *self, const char *address_id, const char *authorization,
                         struct order_address *ret)
{
        const struct order_peers_grpc *ctx = self;
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

static const struct order_peers_ops peers_grpc_ops = {.book = peers_book, .address = peers_address};

struct order_peers order_peers_grpc(struct order_peers_grpc *ctx)
{
        return (struct order_peers){.ops = &peers_grpc_ops, .self = ctx};
}
