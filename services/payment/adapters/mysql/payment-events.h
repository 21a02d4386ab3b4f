/* The payment's domain events as EventEnvelopes (bookstore.events.v1) for
 * the outbox: payment.authorized / declined when a payment is stored,
 * payment.captured / voided / refunded when its status changes. Topic
 * "bookstore.payment", key and aggregate id: the payment id. */
#pragma once

#include "events/outbox.h"
#include "payment-ports.h"

enum { PAYMENT_EVENT_MAX = 1024 };

/* The event for `p` having reached `p->status` (0: that status has none).
 * buf holds the serialized envelope; the record points into it and into ids. */
int payment_event(const struct payment *p, int64_t now_ms, uint8_t buf[PAYMENT_EVENT_MAX],
                  char event_id[37], struct events_record *ret);
