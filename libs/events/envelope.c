/* Envelopes; see events/envelope.h. */
#include "events/envelope.h"

#include "core/random.h"
#include "rpc/rpc.h"

#include <errno.h>

int events_envelope_pack(Bookstore__Events__V1__EventEnvelope *env, const char *topic,
                         const char *aggregate_type, const char *aggregate_id, int64_t now_ms,
                         uint8_t *buf, size_t max, char event_id[37], struct events_record *ret)
{
        Google__Protobuf__Timestamp at;
        google__protobuf__timestamp__init(&at);
        at.seconds = now_ms / 1000;
        at.nanos = (int32_t)(now_ms % 1000) * 1000000;
        random_uuid4(event_id);
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
