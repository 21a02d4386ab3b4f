/* The payment provider in memory; see payment-memory.h. Test tokens as the
 * simulated provider's: tok_decline and tok_insufficient_funds decline,
 * anything else approves. */
#include "payment-memory.h"

#include "core/grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void payment_memory_provider_init(struct payment_memory_provider *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void payment_memory_provider_free(struct payment_memory_provider *m)
{
        free(m->holds);
        m->holds = NULL;
        pthread_mutex_destroy(&m->lock);
}

static struct payment_memory_hold *find_hold(struct payment_memory_provider *m, const char *key)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->holds[i].key, key))
                        return &m->holds[i];
        return NULL;
}

const struct payment_memory_hold *payment_memory_hold_of(const struct payment_memory_provider *m,
                                                         const char *key)
{
        return find_hold((struct payment_memory_provider *)m, key);
}

static struct payment_memory_hold *by_reference(struct payment_memory_provider *m,
                                                const char *reference)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->holds[i].reference, reference))
                        return &m->holds[i];
        return NULL;
}

/* -EAGAIN while an outage lasts. Locked. */
static int outage(struct payment_memory_provider *m)
{
        if (m->failures_left <= 0)
                return 0;
        m->failures_left--;
        return -EAGAIN;
}

static int mem_authorize(void *self, const char *key, const char *token,
                         const struct payment_money *amount, int64_t deadline_left_ms,
                         struct payment_provider_result *ret)
{
        struct payment_memory_provider *m = self;
        pthread_mutex_lock(&m->lock);
        int r = outage(m);
        struct payment_memory_hold *h = r ? NULL : find_hold(m, key);
        if (!r && !h) {
                r = grow_for_one(&m->holds, &m->cap, m->n, sizeof(*m->holds));
                if (!r) {
                        h = &m->holds[m->n++];
                        memset(h, 0, sizeof(*h));
                        snprintf(h->key, sizeof(h->key), "%s", key);
                        snprintf(h->reference, sizeof(h->reference), "mem_%zu", m->n);
                        h->approved = strcmp(token, "tok_decline") &&
                                      strcmp(token, "tok_insufficient_funds");
                        h->state = h->approved ? HOLD_AUTHORIZED : HOLD_NONE;
                        h->amount = *amount;
                }
        }
        if (h) { /* asked again: the same answer, no second hold */
                h->authorize_calls++;
                *ret = (struct payment_provider_result){.approved = h->approved};
                snprintf(ret->reference, sizeof(ret->reference), "%s", h->reference);
                if (!h->approved)
                        snprintf(ret->decline_reason, sizeof(ret->decline_reason), "card_declined");
        }
        pthread_mutex_unlock(&m->lock);
        if (!r && m->in_flight)
                m->in_flight(m->in_flight_ctx, key);
        return r;
}

/* Moves a hold from `from` to `to`; the same move again is a no-op. */
static int settle(struct payment_memory_provider *m, const char *reference, enum payment_hold from,
                  enum payment_hold to)
{
        pthread_mutex_lock(&m->lock);
        int r = outage(m);
        struct payment_memory_hold *h = r ? NULL : by_reference(m, reference);
        if (!r && !h)
                r = -EINVAL;
        else if (h && h->state == from)
                h->state = to;
        else if (h && h->state != to)
                r = -EINVAL; /* a real provider refuses, e.g. voiding a capture */
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int mem_capture(void *self, const char *reference)
{
        return settle(self, reference, HOLD_AUTHORIZED, HOLD_CAPTURED);
}

static int mem_void(void *self, const char *reference)
{
        return settle(self, reference, HOLD_AUTHORIZED, HOLD_VOIDED);
}

static int mem_refund(void *self, const char *reference)
{
        return settle(self, reference, HOLD_CAPTURED, HOLD_REFUNDED);
}

static const struct payment_provider_ops provider_ops = {
        .authorize = mem_authorize,
        .capture = mem_capture,
        .void_authorization = mem_void,
        .refund = mem_refund,
};

struct payment_provider payment_provider_memory(struct payment_memory_provider *m)
{
        return (struct payment_provider){.ops = &provider_ops, .self = m};
}
