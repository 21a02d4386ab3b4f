/* Envelopes; see events/envelope.h. */
#include "events/envelope.h"

#include "core/random.h"
#include "rpc/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int events_envelope_pack(Bookstore__Events__V1__EventEnvelope *env, const char *topic,
                         const char *aggregate_type, const char *aggregate_id, int64_t now_ms,
                         uint8_t *buf, size_t max, char event_id[37], struct events_record *ret)
{
        Google__Protobuf__Timestamp at;
        google__protobuf__timestamp__init(&at);
        at.seconds = now_ms / 1000;
        at.nanos = (int32_t)(now_ms % 1000) * 1000000;
        random_uuid7(event_id, now_ms);
        env->event_id = event_id;
        env->aggregate_type = (char *)aggregate_type;
        env->aggregate_id = (char *)aggregate_id;
        env->occurred_at = &at;
        env->trace_id = (char *)rpc_trace_current(); /* the request that caused it */
        size_t len = bookstore__events__v1__event_envelope__get_packed_size(env);
        if (len > max)
                return -E2BIG;
        bookstore__events__v1__event_envelope__pack(env, buf);
        env->occurred_at = NULL; /* it pointed at this frame */
        *ret = (struct events_record){.event_id = event_id,
                                      .topic = topic,
                                      .key = aggregate_id,
                                      .value = buf,
                                      .value_len = len,
                                      .created_ms = now_ms};
        return 1;
}

/* Each known type and the payload it carries. */
static const struct {
        const char *type;
        Bookstore__Events__V1__EventEnvelope__PayloadCase payload;
} known_types[] = {
#define KNOWN(type, field)                                                                         \
        {                                                                                          \
                type, BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_##field                       \
        }
        KNOWN("user.registered", USER_REGISTERED),
        KNOWN("book.created", BOOK_CREATED),
        KNOWN("book.updated", BOOK_UPDATED),
        KNOWN("book.status_changed", BOOK_STATUS_CHANGED),
        KNOWN("stock.changed", STOCK_CHANGED),
        KNOWN("stock.depleted", STOCK_DEPLETED),
        KNOWN("stock.replenished", STOCK_REPLENISHED),
        KNOWN("payment.authorized", PAYMENT_AUTHORIZED),
        KNOWN("payment.captured", PAYMENT_CAPTURED),
        KNOWN("payment.voided", PAYMENT_VOIDED),
        KNOWN("payment.refunded", PAYMENT_REFUNDED),
        KNOWN("payment.declined", PAYMENT_DECLINED),
        KNOWN("order.created", ORDER_CREATED),
        KNOWN("order.confirmed", ORDER_CONFIRMED),
        KNOWN("order.rejected", ORDER_REJECTED),
        KNOWN("order.cancelled", ORDER_CANCELLED),
        KNOWN("order.shipped", ORDER_SHIPPED),
        KNOWN("saga.completed", SAGA_COMPLETED),
        KNOWN("saga.compensated", SAGA_COMPENSATED),
        KNOWN("review.created", REVIEW_CHANGED),
        KNOWN("review.updated", REVIEW_CHANGED),
        KNOWN("review.deleted", REVIEW_CHANGED),
        KNOWN("review.hidden", REVIEW_CHANGED),
        KNOWN("review.unhidden", REVIEW_CHANGED),
        KNOWN("review.answered", REVIEW_CHANGED),
#undef KNOWN
};

static bool printable_ascii(const char *s, size_t max)
{
        size_t n = 0;
        for (; s[n]; n++)
                if (n == max || s[n] <= ' ' || s[n] > '~')
                        return false;
        return n > 0;
}

Bookstore__Events__V1__EventEnvelope *events_envelope_decode(const void *value, size_t len,
                                                             char *why, size_t why_len)
{
        Bookstore__Events__V1__EventEnvelope *env =
                bookstore__events__v1__event_envelope__unpack(NULL, len, value);
        if (!env) {
                snprintf(why, why_len, "not an EventEnvelope (%zu bytes)", len);
                return NULL;
        }
        const char *problem = NULL;
        if (!printable_ascii(env->event_id, 64))
                problem = "event_id must be 1 to 64 printable ASCII characters";
        else if (!printable_ascii(env->type, 128))
                problem = "type must be 1 to 128 printable ASCII characters";
        for (size_t i = 0; !problem && i < sizeof(known_types) / sizeof(known_types[0]); i++)
                if (strcmp(env->type, known_types[i].type) == 0 &&
                    env->payload_case != known_types[i].payload)
                        problem = "the payload does not match the type";
        if (problem) {
                snprintf(why, why_len, "%s", problem);
                bookstore__events__v1__event_envelope__free_unpacked(env, NULL);
                return NULL;
        }
        return env;
}
