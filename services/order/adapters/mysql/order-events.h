/* The order's domain events as EventEnvelopes (bookstore.events.v1) for the
 * outbox: order.created when an order is stored, order.confirmed / rejected
 * / cancelled / shipped when its status becomes that. Topic
 * "bookstore.order", key and aggregate id: the order id. */
#pragma once

#include "events/outbox.h"
#include "order-ports.h"

enum { ORDER_EVENT_MAX = 32768 };

/* The event for `o` having reached `o->status`: 1 with *ret filled (pointing
 * into buf and event_id), 0 when that status has none, or a negative errno. */
int order_event(const struct order *o, int64_t now_ms, uint8_t *buf, char event_id[37],
                struct events_record *ret);
