/* bookstore.inventory.v1.InventoryService handlers: proto <-> domain mapping. */
#include "inventory-grpc.h"

#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "core/listing.h"
#include "core/log.h"
#include "rpc/pb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(struct rpc_call *call, int r, const char *detail)
{
        return rpc_fail(call, &inventory_errors, r, detail,
                        "a dependency (database or catalog) is unavailable; retry shortly");
}

#define APP(call) ((struct inventory_app *)rpc_call_service_ctx(call))

static struct inventory_caller caller_of(struct rpc_call *call)
{
        const struct auth_principal *p = auth_principal_of(call);
        return (struct inventory_caller){.subject = p ? p->subject : "",
                                         .role = p ? p->role : 0,
                                         .authorization = rpc_call_metadata(call, "authorization")};
}

static Bookstore__Inventory__V1__StockLevel *level_to_proto(struct rpc_call *call,
                                                            const struct inventory_level *l)
{
        Bookstore__Inventory__V1__StockLevel *p = rpc_call_alloc(call, sizeof(*p));
        if (!p)
                return NULL;
        bookstore__inventory__v1__stock_level__init(p);
        p->book_id = rpc_call_strdup(call, l->book_id);
        p->on_hand = l->on_hand;
        p->reserved = l->reserved;
        p->available = inventory_available(l);
        return p; /* a book_id that could not be copied: the call remembers it */
}

static Bookstore__Inventory__V1__Reservation *
reservation_to_proto(struct rpc_call *call, const struct inventory_reservation *r)
{
        Bookstore__Inventory__V1__Reservation *p = rpc_call_alloc(call, sizeof(*p));
        if (!p)
                return NULL;
        bookstore__inventory__v1__reservation__init(p);
        p->items = rpc_call_alloc(call, (r->n_items + 1) * sizeof(void *));
        p->order_id = rpc_call_strdup(call, r->order_id);
        p->status =
                r->status == RESERVATION_NONE
                        ? BOOKSTORE__INVENTORY__V1__RESERVATION_STATUS__RESERVATION_STATUS_RELEASED
                        : (Bookstore__Inventory__V1__ReservationStatus)r->status;
        if (!p->items || !p->order_id)
                return NULL;
        for (size_t i = 0; i < r->n_items; i++) {
                Bookstore__Inventory__V1__StockItem *it = rpc_call_alloc(call, sizeof(*it));
                if (!it)
                        return NULL;
                bookstore__inventory__v1__stock_item__init(it);
                it->book_id = rpc_call_strdup(call, r->items[i].book_id);
                it->quantity = r->items[i].quantity;
                p->items[p->n_items++] = it;
        }
        return p;
}

static int set_stock(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__SetStockRequest *req = (const void *)msg;
        struct inventory_caller caller = caller_of(call);
        struct inventory_level l;
        int r = inventory_set_stock(APP(call), &caller, req->book_id, req->on_hand, &l);
        if (r != IE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__inventory__v1__set_stock_response__descriptor,
                              "stock", level_to_proto(call, &l), ret);
}

static int adjust_stock(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__AdjustStockRequest *req = (const void *)msg;
        struct inventory_caller caller = caller_of(call);
        struct inventory_level l;
        int r = inventory_adjust_stock(APP(call), &caller, req->book_id, req->delta, &l);
        if (r != IE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__inventory__v1__adjust_stock_response__descriptor,
                              "stock", level_to_proto(call, &l), ret);
}

static int get_stock(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__GetStockRequest *req = (const void *)msg;
        struct inventory_level l;
        int r = inventory_get_stock(APP(call), req->book_id, &l);
        if (r != IE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, &bookstore__inventory__v1__get_stock_response__descriptor,
                              "stock", level_to_proto(call, &l), ret);
}

static int reserve_stock(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__ReserveStockRequest *req = (const void *)msg;
        struct inventory_item *items = rpc_call_alloc(call, (req->n_items + 1) * sizeof(*items));
        struct inventory_reservation *res = rpc_call_alloc(call, sizeof(*res));
        char message[1024] = "";
        if (!items || !res)
                return rpc_out_of_memory(call);
        if (req->n_items > INVENTORY_MAX_ITEMS)
                return fail(call, IE_ITEMS_INVALID, NULL);
        for (size_t i = 0; i < req->n_items; i++) {
                if (snprintf(items[i].book_id, sizeof(items[i].book_id), "%s",
                             req->items[i]->book_id) >= (int)sizeof(items[i].book_id))
                        return fail(call, IE_BOOK_ID_INVALID, NULL); /* too long to be one */
                items[i].quantity = req->items[i]->quantity;
        }
        int r = inventory_reserve(APP(call), req->order_id, items, req->n_items,
                                  rpc_call_deadline_remaining_ms(call), res, message,
                                  sizeof(message));
        if (r != IE_OK)
                return fail(call, r, r == IE_INSUFFICIENT ? message : NULL);
        return rpc_reply_with(call, &bookstore__inventory__v1__reserve_stock_response__descriptor,
                              "reservation", reservation_to_proto(call, res), ret);
}

static int apply(struct rpc_call *call, const char *order_id, enum inventory_action action,
                 const ProtobufCMessageDescriptor *type, ProtobufCMessage **ret)
{
        struct inventory_reservation *res = rpc_call_alloc(call, sizeof(*res));
        if (!res)
                return rpc_out_of_memory(call);
        int r = inventory_apply(APP(call), order_id, action, res);
        if (r != IE_OK)
                return fail(call, r, NULL);
        return rpc_reply_with(call, type, "reservation", reservation_to_proto(call, res), ret);
}

static int release_stock(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__ReleaseStockRequest *req = (const void *)msg;
        return apply(call, req->order_id, ACTION_RELEASE,
                     &bookstore__inventory__v1__release_stock_response__descriptor, ret);
}

static int commit_reservation(struct rpc_call *call, const ProtobufCMessage *msg,
                              ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__CommitReservationRequest *req = (const void *)msg;
        return apply(call, req->order_id, ACTION_COMMIT,
                     &bookstore__inventory__v1__commit_reservation_response__descriptor, ret);
}

static int restock_order(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Inventory__V1__RestockOrderRequest *req = (const void *)msg;
        return apply(call, req->order_id, ACTION_RESTOCK,
                     &bookstore__inventory__v1__restock_order_response__descriptor, ret);
}

static int list_reservations(struct rpc_call *call, const ProtobufCMessage *msg,
                             ProtobufCMessage **ret)
{
        struct listing_filter f;
        int e = rpc_listing_request(msg, 'r', &f);
        if (e != LISTING_OK)
                return rpc_listing_refuse(call, e);
        struct inventory_reservation *rows = rpc_call_alloc(call, f.limit * sizeof(*rows));
        Bookstore__Inventory__V1__ListReservationsResponse *resp = rpc_new_message(
                call, &bookstore__inventory__v1__list_reservations_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        char next[PAGE_KEY_MAX + 1];
        size_t n = 0;
        if (!rows || !resp || !page)
                return rpc_out_of_memory(call);
        int r = inventory_list(APP(call), caller_of(call).role, &f, rows, &n, next);
        if (r != IE_OK)
                return fail(call, r, NULL);
        if (!(resp->reservations = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++) {
                Bookstore__Inventory__V1__Reservation *p = reservation_to_proto(call, &rows[i]);
                if (!p || !(p->updated_at = rpc_new_timestamp(call, rows[i].updated_at)))
                        return rpc_out_of_memory(call);
                resp->reservations[resp->n_reservations++] = p;
        }
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

static const struct rpc_method_impl inventory_methods[] = {
        {.name = "SetStock", .unary = set_stock, .roles = ROLE_SELLER | ROLE_ADMIN},
        {.name = "AdjustStock", .unary = adjust_stock, .roles = ROLE_SELLER | ROLE_ADMIN},
        {.name = "GetStock",
         .unary = get_stock,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "ReserveStock", .unary = reserve_stock, .roles = ROLE_SERVICE},
        {.name = "ReleaseStock", .unary = release_stock, .roles = ROLE_SERVICE},
        {.name = "CommitReservation", .unary = commit_reservation, .roles = ROLE_SERVICE},
        {.name = "RestockOrder", .unary = restock_order, .roles = ROLE_SERVICE},
        {.name = "ListReservations",
         .unary = list_reservations,
         .roles = ROLE_ADMIN | ROLE_SERVICE},
};

int inventory_grpc_register(struct rpc_server *server, struct inventory_app *app)
{
        return rpc_server_add_service(
                server, &bookstore__inventory__v1__inventory_service__descriptor, NULL,
                inventory_methods, sizeof(inventory_methods) / sizeof(inventory_methods[0]), app);
}
