/* Adapter of the books port: CatalogService/GetBook with the caller's own
 * authorization, so a seller can only stock books they can see. */
#include "inventory-books-grpc.h"

#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>

static int grpc_seller_of(void *self, const char *book_id, const char *authorization,
                          char *ret_seller, size_t len)
{
        const struct inventory_books_grpc *ctx = self;
        Bookstore__Catalog__V1__GetBookRequest req;
        bookstore__catalog__v1__get_book_request__init(&req);
        req.book_id = (char *)book_id;
        struct rpc_metadata md[] = {{"authorization", authorization ? authorization : ""}};
        struct rpc_client_call call = {
                .target = ctx->target,
                .method = "/bookstore.catalog.v1.CatalogService/GetBook",
                .request = &req.base,
                .response_type = &bookstore__catalog__v1__get_book_response__descriptor,
                .timeout_ms = ctx->timeout_ms,
                .metadata = md,
                .n_metadata = authorization ? 1 : 0,
        };
        ProtobufCMessage *resp = NULL;
        struct rpc_client_status st;
        int r = rpc_client_unary(ctx->client, &call, &resp, &st);
        if (r < 0)
                return r;
        if ((r = rpc_client_status_errno(&st)) < 0)
                return r;
        const Bookstore__Catalog__V1__GetBookResponse *b = (const void *)resp;
        snprintf(ret_seller, len, "%s", b->book ? b->book->seller_id : "");
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

static const struct inventory_books_ops books_grpc_ops = {.seller_of = grpc_seller_of};

struct inventory_books inventory_books_grpc(struct inventory_books_grpc *ctx)
{
        return (struct inventory_books){.ops = &books_grpc_ops, .self = ctx};
}
