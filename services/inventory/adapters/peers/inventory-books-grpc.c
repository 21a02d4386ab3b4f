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
        ProtobufCMessage *resp;
        int r = rpc_client_unary_as(ctx->client, ctx->target,
                                    "/bookstore.catalog.v1.CatalogService/GetBook", &req.base,
                                    &bookstore__catalog__v1__get_book_response__descriptor,
                                    authorization, ctx->timeout_ms, &resp);
        if (r < 0)
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
