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

/* A consumer's view of a message value: the envelope, or NULL with the reason
 * in why when it is not one a consumer can apply -- not an EventEnvelope,
 * event_id empty, longer than 64 or not printable ASCII, type empty, or a
 * known type whose payload is missing or of another type. (An unknown type is
 * accepted: a newer producer's event, for consumers to skip.) Free the result
 * with bookstore__events__v1__event_envelope__free_unpacked(env, NULL). */
Bookstore__Events__V1__EventEnvelope *events_envelope_decode(const void *value, size_t len,
                                                             char *why, size_t why_len);
