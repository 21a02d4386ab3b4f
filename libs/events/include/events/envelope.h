/* Finishing an EventEnvelope (bookstore.events.v1) for the outbox: the parts
 * every event has -- a new event id, its aggregate, the time, the trace id of
 * the request that caused it -- then serialized into an outbox record. The
 * caller sets the type and the payload. */
#pragma once

#include "bookstore/events/v1/events.pb-c.h"
#include "events/outbox.h"

/* buf of max bytes receives the envelope; *ret points into buf, event_id and
 * aggregate_id (keep them alive until the record is appended). Returns 1, or
 * -E2BIG when the envelope does not fit. */
int events_envelope_pack(Bookstore__Events__V1__EventEnvelope *env, const char *topic,
                         const char *aggregate_type, const char *aggregate_id, int64_t now_ms,
                         uint8_t *buf, size_t max, char event_id[37], struct events_record *ret);
