/* Order events; see order-events.h. */
#include "order-events.h"

#include "events/envelope.h"

#include <errno.h>

static void money(Bookstore__Common__V1__Money *out, const struct order_money *m)
{
        bookstore__common__v1__money__init(out);
        out->currency_code = (char *)m->currency;
        out->units = m->units;
        out->nanos = m->nanos;
}

int order_event(const struct order *o, int64_t now_ms, uint8_t *buf, char event_id[37],
                struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Events__V1__OrderLine lines[ORDER_MAX_ITEMS], *line_ptrs[ORDER_MAX_ITEMS];
        Bookstore__Common__V1__Money prices[ORDER_MAX_ITEMS], total;
        for (size_t i = 0; i < o->n_items; i++) {
                bookstore__events__v1__order_line__init(&lines[i]);
                lines[i].book_id = (char *)o->items[i].book_id;
                lines[i].quantity = o->items[i].quantity;
                money(&prices[i], &o->items[i].unit_price);
                lines[i].unit_price = &prices[i];
                line_ptrs[i] = &lines[i];
        }
        money(&total, &o->total);
        Bookstore__Events__V1__OrderCreated created;
        Bookstore__Events__V1__OrderConfirmed confirmed;
        Bookstore__Events__V1__OrderRejected rejected;
        Bookstore__Events__V1__OrderCancelled cancelled;
        Bookstore__Events__V1__OrderShipped shipped;
        switch (o->status) {
        case ORDER_PENDING:
                bookstore__events__v1__order_created__init(&created);
                created.order_id = (char *)o->id;
                created.customer_id = (char *)o->customer_id;
                created.n_lines = o->n_items;
                created.lines = line_ptrs;
                created.total = &total;
                env.type = "order.created";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_CREATED;
                env.order_created = &created;
                break;
        case ORDER_CONFIRMED:
                bookstore__events__v1__order_confirmed__init(&confirmed);
                confirmed.order_id = (char *)o->id;
                confirmed.customer_id = (char *)o->customer_id;
                confirmed.n_lines = o->n_items;
                confirmed.lines = line_ptrs;
                confirmed.total = &total;
                env.type = "order.confirmed";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_CONFIRMED;
                env.order_confirmed = &confirmed;
                break;
        case ORDER_REJECTED:
                bookstore__events__v1__order_rejected__init(&rejected);
                rejected.order_id = (char *)o->id;
                rejected.reason = (char *)o->status_reason;
                env.type = "order.rejected";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_REJECTED;
                env.order_rejected = &rejected;
                break;
        case ORDER_CANCELLED:
                bookstore__events__v1__order_cancelled__init(&cancelled);
                cancelled.order_id = (char *)o->id;
                cancelled.n_lines = o->n_items;
                cancelled.lines = line_ptrs;
                cancelled.reason = (char *)o->status_reason;
                env.type = "order.cancelled";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_CANCELLED;
                env.order_cancelled = &cancelled;
                break;
        case ORDER_SHIPPED:
                bookstore__events__v1__order_shipped__init(&shipped);
                shipped.order_id = (char *)o->id;
                env.type = "order.shipped";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_SHIPPED;
                env.order_shipped = &shipped;
                break;
        default: /* PAYMENT_AUTHORIZED, CANCEL_REQUESTED, DELIVERED: no event of their own */
                return 0;
        }
        return events_envelope_pack(&env, "bookstore.order", "order", o->id, now_ms, buf,
                                    ORDER_EVENT_MAX, event_id, ret);
}
