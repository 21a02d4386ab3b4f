/* bookstore.catalog.v1.CatalogService handlers: proto <-> domain mapping. */
#include "catalog-grpc.h"

#include "peers/common.h"
#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "core/log.h"
#include "rpc/pb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELLERS (ROLE_SELLER | ROLE_ADMIN)

static int fail(struct rpc_call *call, int r, const char *detail)
{
        return rpc_fail(call, &catalog_errors, r, detail,
                        "the catalog store is unavailable; retry shortly");
}

#define APP(call) ((struct catalog_app *)rpc_call_service_ctx(call))
static struct catalog_caller caller_of(struct rpc_call *call)
{
        const struct auth_principal *p = auth_principal_of(call);
        return p ? (struct catalog_caller){.subject = p->subject, .role = p->role}
                 : (struct catalog_caller){.subject = "", .role = 0};
}

static Bookstore__Common__V1__Money *money_out(struct rpc_call *call,
                                               const struct catalog_money *in)
{
        Bookstore__Common__V1__Money *m =
                rpc_new_message(call, &bookstore__common__v1__money__descriptor);
        if (!m)
                return NULL;
        m->currency_code = rpc_call_strdup(call, in->currency);
        m->units = in->units;
        m->nanos = in->nanos;
        return m;
}

static Bookstore__Catalog__V1__Book *book_to_proto(struct rpc_call *call,
                                                   const struct catalog_book *b)
{
        Bookstore__Catalog__V1__Book *p =
                rpc_new_message(call, &bookstore__catalog__v1__book__descriptor);
        Bookstore__Common__V1__Money *m = money_out(call, &b->price);
        char *authors = rpc_call_strdup(call, b->authors);
        size_t n = 1;
        for (const char *s = b->authors; *s; s++)
                n += *s == '\x1f';
        if (!p || !m || !authors || !(p->authors = rpc_call_alloc(call, n * sizeof(char *))))
                return NULL;
        char *save = NULL;
        for (char *a = strtok_r(authors, "\x1f", &save); a; a = strtok_r(NULL, "\x1f", &save))
                p->authors[p->n_authors++] = a;
        p->id = rpc_call_strdup(call, b->id);
        p->title = rpc_call_strdup(call, b->title);
        p->isbn13 = rpc_call_strdup(call, b->isbn13);
        p->description = rpc_call_strdup(call, b->description);
        p->category_id = rpc_call_strdup(call, b->category_id);
        p->seller_id = rpc_call_strdup(call, b->seller_id);
        p->price = m;
        p->status = (Bookstore__Catalog__V1__BookStatus)b->status;
        p->created_at = rpc_new_timestamp(call, b->created_at);
        p->updated_at = rpc_new_timestamp(call, b->updated_at);
        p->rating = peers_rating_summary(call, &b->rating);
        return p; /* a field that could not be made: the call remembers it */
}

static struct catalog_money money_in(const Bookstore__Common__V1__Money *m)
{
        struct catalog_money out = {0};
        if (m) {
                snprintf(out.currency, sizeof(out.currency), "%.3s", m->currency_code);
                if (strlen(m->currency_code) != 3)
                        out.currency[0] = '\0'; /* fails the price check */
                out.units = m->units;
                out.nanos = m->nanos;
        }
        return out;
}

static int create_book(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__CreateBookRequest *req = (const void *)msg;
        struct catalog_caller caller = caller_of(call);
        struct catalog_book_input in = {.title = req->title,
                                        .authors = (const char *const *)req->authors,
                                        .n_authors = req->n_authors,
                                        .isbn13 = req->isbn13,
                                        .description = req->description,
                                        .category_id = req->category_id,
                                        .price = money_in(req->price)};
        struct catalog_book *b = rpc_call_alloc(call, sizeof(*b));
        if (!b)
                return rpc_out_of_memory(call);
        int r = catalog_create_book(APP(call), &caller, &in, b);
        if (r != CE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__catalog__v1__create_book_response__descriptor,
                              "book", book_to_proto(call, b), ret);
}

static int update_book(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__UpdateBookRequest *req = (const void *)msg;
        unsigned fields;
        int r = catalog_parse_update_mask((const char *const *)req->update_mask, req->n_update_mask,
                                          &fields);
        if (r != CE_OK)
                return fail(call, r, NULL);
        struct catalog_caller caller = caller_of(call);
        struct catalog_book_input in = {.title = req->title,
                                        .authors = (const char *const *)req->authors,
                                        .n_authors = req->n_authors,
                                        .description = req->description,
                                        .category_id = req->category_id,
                                        .price = money_in(req->price)};
        struct catalog_book *b = rpc_call_alloc(call, sizeof(*b));
        if (!b)
                return rpc_out_of_memory(call);
        if ((r = catalog_update_book(APP(call), &caller, req->book_id, fields, &in, b)) != CE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__catalog__v1__update_book_response__descriptor,
                              "book", book_to_proto(call, b), ret);
}

static int get_book(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__GetBookRequest *req = (const void *)msg;
        struct catalog_caller caller = caller_of(call);
        struct catalog_book *b = rpc_call_alloc(call, sizeof(*b));
        if (!b)
                return rpc_out_of_memory(call);
        int r = catalog_get_book(APP(call), &caller, req->book_id, req->fresh, b);
        if (r != CE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__catalog__v1__get_book_response__descriptor, "book",
                              book_to_proto(call, b), ret);
}

static int set_book_status(struct rpc_call *call, const ProtobufCMessage *msg,
                           ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__SetBookStatusRequest *req = (const void *)msg;
        struct catalog_caller caller = caller_of(call);
        struct catalog_book *b = rpc_call_alloc(call, sizeof(*b));
        char explain[300] = "";
        if (!b)
                return rpc_out_of_memory(call);
        int r = catalog_set_status(APP(call), &caller, req->book_id,
                                   (enum catalog_status)req->status, b, explain, sizeof(explain));
        if (r != CE_OK)
                return fail(call, r, explain);
        return rpc_reply_with(call, &bookstore__catalog__v1__set_book_status_response__descriptor,
                              "book", book_to_proto(call, b), ret);
}

static int list_books(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__ListBooksRequest *req = (const void *)msg;
        struct catalog_caller caller = caller_of(call);
        struct catalog_list_request lr = {.category_id = req->category_id,
                                          .author = req->author,
                                          .text = req->query,
                                          .page_token = req->page ? req->page->page_token : "",
                                          .status = (enum catalog_status)req->status,
                                          .page_size = req->page ? req->page->page_size : 0};
        if (lr.page_size < 0)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "page_size must not be negative");
        struct catalog_book *books = rpc_call_alloc(call, (CATALOG_PAGE_MAX + 1) * sizeof(*books));
        char next[32];
        size_t n = 0;
        if (!books)
                return rpc_out_of_memory(call);
        int r = catalog_list_books(APP(call), &caller, &lr, books, &n, next);
        if (r != CE_OK)
                return fail(call, r, NULL);
        Bookstore__Catalog__V1__ListBooksResponse *resp =
                rpc_new_message(call, &bookstore__catalog__v1__list_books_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        if (!resp || !page || !(resp->books = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->books[resp->n_books++] = book_to_proto(call, &books[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

static int create_category(struct rpc_call *call, const ProtobufCMessage *msg,
                           ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__CreateCategoryRequest *req = (const void *)msg;
        struct catalog_category c;
        int r = catalog_create_category(APP(call), req->name, &c);
        if (r != CE_OK)
                return fail(call, r, NULL);
        Bookstore__Catalog__V1__CreateCategoryResponse *resp = rpc_new_message(
                call, &bookstore__catalog__v1__create_category_response__descriptor);
        Bookstore__Catalog__V1__Category *cat =
                rpc_new_message(call, &bookstore__catalog__v1__category__descriptor);
        if (!resp || !cat)
                return rpc_out_of_memory(call);
        cat->id = rpc_call_strdup(call, c.id);
        cat->name = rpc_call_strdup(call, c.name);
        resp->category = cat;
        *ret = &resp->base;
        return RPC_OK;
}

static int list_categories(struct rpc_call *call, const ProtobufCMessage *msg,
                           ProtobufCMessage **ret)
{
        enum { MAX_CATEGORIES = 500 };
        struct catalog_category *list = rpc_call_alloc(call, MAX_CATEGORIES * sizeof(*list));
        size_t n = 0;
        if (!list)
                return rpc_out_of_memory(call);
        int r = catalog_list_categories(APP(call), list, MAX_CATEGORIES, &n);
        if (r != CE_OK)
                return fail(call, r, NULL);
        Bookstore__Catalog__V1__ListCategoriesResponse *resp = rpc_new_message(
                call, &bookstore__catalog__v1__list_categories_response__descriptor);
        if (!resp || !(resp->categories = rpc_call_alloc(call, (n + 1) * sizeof(void *))))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++) {
                Bookstore__Catalog__V1__Category *c =
                        rpc_new_message(call, &bookstore__catalog__v1__category__descriptor);
                if (!c)
                        return rpc_out_of_memory(call);
                c->id = rpc_call_strdup(call, list[i].id);
                c->name = rpc_call_strdup(call, list[i].name);
                resp->categories[resp->n_categories++] = c;
        }
        *ret = &resp->base;
        return RPC_OK;
}

static int list_best_sellers(struct rpc_call *call, const ProtobufCMessage *msg,
                             ProtobufCMessage **ret)
{
        const Bookstore__Catalog__V1__ListBestSellersRequest *req = (const void *)msg;
        struct catalog_best_seller *list = rpc_call_alloc(call, CATALOG_BEST_MAX * sizeof(*list));
        size_t n = 0;
        if (!list)
                return rpc_out_of_memory(call);
        int r = catalog_list_best_sellers(APP(call), req->category_id, req->limit, list, &n);
        if (r != CE_OK)
                return fail(call, r, NULL);
        Bookstore__Catalog__V1__ListBestSellersResponse *resp = rpc_new_message(
                call, &bookstore__catalog__v1__list_best_sellers_response__descriptor);
        if (!resp || !(resp->best_sellers = rpc_call_alloc(call, (n + 1) * sizeof(void *))))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++) {
                Bookstore__Catalog__V1__BestSeller *b =
                        rpc_new_message(call, &bookstore__catalog__v1__best_seller__descriptor);
                if (!b)
                        return rpc_out_of_memory(call);
                b->book_id = rpc_call_strdup(call, list[i].book_id);
                b->title = rpc_call_strdup(call, list[i].title);
                b->revenue = money_out(call, &list[i].sales.revenue);
                b->units_sold = list[i].sales.units;
                resp->best_sellers[resp->n_best_sellers++] = b;
        }
        *ret = &resp->base;
        return RPC_OK;
}

static const struct rpc_method_impl catalog_methods[] = {
        {.name = "CreateBook", .unary = create_book, .roles = SELLERS},
        {.name = "UpdateBook", .unary = update_book, .roles = SELLERS},
        {.name = "GetBook",
         .unary = get_book,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "ListBooks",
         .unary = list_books,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "SetBookStatus", .unary = set_book_status, .roles = SELLERS},
        {.name = "CreateCategory", .unary = create_category, .roles = ROLE_ADMIN},
        {.name = "ListCategories",
         .unary = list_categories,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "ListBestSellers",
         .unary = list_best_sellers,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
};

int catalog_grpc_register(struct rpc_server *server, struct catalog_app *app)
{
        return rpc_server_add_service(server, &bookstore__catalog__v1__catalog_service__descriptor,
                                      NULL, catalog_methods,
                                      sizeof(catalog_methods) / sizeof(catalog_methods[0]), app);
}
