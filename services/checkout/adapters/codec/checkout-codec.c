/* See checkout-codec.h. jansson writes and reads the documents; a field
 * absent from a document written before it existed reads as zero. */
#include "checkout-codec.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *out, size_t len, const char *in)
{
        snprintf(out, len, "%s", in ? in : "");
}

static char *dump(json_t *doc)
{
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        return text;
}

char *checkout_codec_state(const struct checkout_saga *s)
{
        json_t *steps = json_array();
        size_t n = checkout_def_of(s->kind)->n_steps;
        for (size_t i = 0; i < n; i++)
                json_array_append_new(
                        steps, json_pack("{s:i, s:i, s:b, s:s, s:I, s:I, s:I}", "status",
                                         (int)s->state.steps[i], "attempts", s->state.attempts[i],
                                         "maybe_applied", s->state.maybe_applied[i], "error",
                                         s->log[i].last_error, "started_ms",
                                         (json_int_t)s->log[i].started_ms, "updated_ms",
                                         (json_int_t)s->log[i].updated_ms, "elapsed_ms",
                                         (json_int_t)s->log[i].elapsed_ms));
        return dump(json_pack("{s:I, s:s, s:b, s:b, s:b, s:o}", "current",
                              (json_int_t)s->state.current, "failure_reason",
                              s->state.failure_reason, "stuck", s->state.stuck, "retry_now",
                              s->state.retry_now, "in_flight", s->state.in_flight, "steps", steps));
}

int checkout_codec_read_state(const char *text, struct checkout_saga *s)
{
        json_t *doc = json_loads(text ? text : "", 0, NULL), *steps = NULL;
        json_int_t current = 0;
        const char *reason = "";
        int stuck = 0, retry_now = 0, in_flight = 0; /* absent in states written before them */
        if (!doc ||
            json_unpack(doc, "{s:I, s:s, s?b, s?b, s?b, s:o}", "current", &current,
                        "failure_reason", &reason, "stuck", &stuck, "retry_now", &retry_now,
                        "in_flight", &in_flight, "steps", &steps) < 0 ||
            !json_is_array(steps) || json_array_size(steps) > SAGA_MAX_STEPS || current < 0 ||
            current >= SAGA_MAX_STEPS) {
                json_decref(doc);
                return -EIO;
        }
        enum saga_status status = s->state.status;
        memset(&s->state, 0, sizeof(s->state));
        memset(s->log, 0, sizeof(s->log));
        s->state.status = status;
        s->state.current = (size_t)current;
        s->state.stuck = stuck;
        s->state.retry_now = retry_now;
        s->state.in_flight = in_flight;
        copy(s->state.failure_reason, sizeof(s->state.failure_reason), reason);
        for (size_t i = 0; i < json_array_size(steps); i++) {
                int st = 0, attempts = 0, maybe = 0;
                const char *error = "";
                json_int_t started = 0, updated = 0, elapsed = 0; /* elapsed: absent before it */
                json_unpack(json_array_get(steps, i), "{s:i, s:i, s:b, s:s, s:I, s:I, s?I}",
                            "status", &st, "attempts", &attempts, "maybe_applied", &maybe, "error",
                            &error, "started_ms", &started, "updated_ms", &updated, "elapsed_ms",
                            &elapsed);
                s->state.steps[i] = (enum saga_step_status)st;
                s->state.attempts[i] = attempts;
                s->state.maybe_applied[i] = maybe;
                copy(s->log[i].last_error, sizeof(s->log[i].last_error), error);
                s->log[i].started_ms = started;
                s->log[i].updated_ms = updated;
                s->log[i].elapsed_ms = elapsed;
        }
        json_decref(doc);
        return 0;
}

char *checkout_codec_input(const struct checkout_saga *s)
{
        json_t *items = json_array();
        for (size_t i = 0; i < s->n_items; i++)
                json_array_append_new(items, json_pack("{s:s, s:i}", "book_id", s->items[i].book_id,
                                                       "quantity", s->items[i].quantity));
        const struct checkout_address *a = &s->address;
        return dump(json_pack("{s:o, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s}", "items",
                              items, "address", "recipient", a->recipient, "line1", a->line1,
                              "line2", a->line2, "city", a->city, "postal_code", a->postal_code,
                              "country_code", a->country_code, "address_id", s->address_id,
                              "payment_token", s->payment_token, "reason", s->reason));
}

int checkout_codec_read_input(const char *text, struct checkout_saga *s)
{
        json_t *doc = json_loads(text ? text : "", 0, NULL), *items = NULL, *addr = NULL;
        const char *token = "", *reason = "", *address_id = ""; /* absent: inline, or before it */
        if (!doc ||
            json_unpack(doc, "{s:o, s:o, s?s, s:s, s:s}", "items", &items, "address", &addr,
                        "address_id", &address_id, "payment_token", &token, "reason",
                        &reason) < 0 ||
            !json_is_array(items) || json_array_size(items) > CHECKOUT_MAX_ITEMS) {
                json_decref(doc);
                return -EIO;
        }
        memset(s->items, 0, sizeof(s->items));
        s->n_items = json_array_size(items);
        for (size_t i = 0; i < s->n_items; i++) {
                const char *book = "";
                int quantity = 0;
                json_unpack(json_array_get(items, i), "{s:s, s:i}", "book_id", &book, "quantity",
                            &quantity);
                copy(s->items[i].book_id, sizeof(s->items[i].book_id), book);
                s->items[i].quantity = quantity;
        }
        struct checkout_address *a = &s->address;
        const char *f[6] = {"", "", "", "", "", ""};
        json_unpack(addr, "{s:s, s:s, s:s, s:s, s:s, s:s}", "recipient", &f[0], "line1", &f[1],
                    "line2", &f[2], "city", &f[3], "postal_code", &f[4], "country_code", &f[5]);
        copy(a->recipient, sizeof(a->recipient), f[0]);
        copy(a->line1, sizeof(a->line1), f[1]);
        copy(a->line2, sizeof(a->line2), f[2]);
        copy(a->city, sizeof(a->city), f[3]);
        copy(a->postal_code, sizeof(a->postal_code), f[4]);
        copy(a->country_code, sizeof(a->country_code), f[5]);
        copy(s->address_id, sizeof(s->address_id), address_id);
        copy(s->payment_token, sizeof(s->payment_token), token);
        copy(s->reason, sizeof(s->reason), reason);
        json_decref(doc);
        return 0;
}
