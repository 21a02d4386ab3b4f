/* Fuzz target: a consumer's first look at a Kafka message value
 * (events_envelope_decode) on arbitrary bytes. Whatever it accepts must hold
 * what consumers rely on: an event id of 1 to 64 printable ASCII characters,
 * a type, and for a known type the payload of that type. */
#include "events/envelope.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char why[256];
        Bookstore__Events__V1__EventEnvelope *env =
                events_envelope_decode(data, size, why, sizeof(why));
        if (!env) {
                if (!why[0])
                        abort(); /* a refusal always says why */
                return 0;
        }
        size_t id_len = strlen(env->event_id);
        if (id_len == 0 || id_len > 64 || !env->type[0])
                abort();
        if (strcmp(env->type, "order.confirmed") == 0 &&
            (env->payload_case != BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_ORDER_CONFIRMED ||
             !env->order_confirmed))
                abort();
        bookstore__events__v1__event_envelope__free_unpacked(env, NULL);
        return 0;
}
