/* The coordinator's domain events for the outbox: saga.completed and
 * saga.compensated when a saga ends (a FAILED saga, left for an operator,
 * has no event type in the contract), saga.operator_action for each entry
 * of the audit trail. Topic "bookstore.saga", key and aggregate id: the
 * saga id. */
#pragma once

#include "checkout-ports.h"
#include "events/outbox.h"

enum { CHECKOUT_EVENT_MAX = 2048 };

/* 1 with *ret filled, 0 when the saga's status has no event, or -errno. */
int checkout_event(const struct checkout_saga *s, int64_t now_ms, uint8_t *buf, char event_id[37],
                   struct events_record *ret);

/* saga.operator_action: 1 with *ret filled, or -errno. */
int checkout_operator_event(const struct checkout_saga *s, const struct checkout_action *a,
                            uint8_t *buf, char event_id[37], struct events_record *ret);
