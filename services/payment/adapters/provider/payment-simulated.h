/* A simulated payment provider with deterministic test tokens (README):
 *   tok_ok                  approved
 *   tok_decline             declined: card_declined
 *   tok_insufficient_funds  declined: insufficient_funds
 *   tok_slow                approved, but only after the caller's deadline
 *   tok_flaky               temporarily unavailable the first N times per order, then approved
 *   any other token         declined: unknown_token
 * Idempotent per key like a real provider: authorizing the same order again
 * returns the first result -- for the newest max_keys keys. Older ones are
 * forgotten (a real provider keeps idempotency keys for a while, too): the
 * payment service asks again only while its row is AUTHORIZING, which a
 * retry settles within seconds, so the state is bounded by max_keys and a
 * key is found in constant time (a hash table over a ring of entries). */
#pragma once

#include "payment-ports.h"

#include <pthread.h>
#include <stdint.h>

enum { PAYMENT_SIM_DEFAULT_KEYS = 8192 };

struct sim_entry;

struct payment_simulated {
        int flaky_failures; /* N for tok_flaky */
        size_t max_keys;
        pthread_mutex_t lock;
        struct sim_entry *entries; /* max_keys slots; pages are touched as they are used */
        size_t n;                  /* slots used; once full, the oldest is reused */
        size_t oldest;
        int32_t *buckets; /* chain heads by hash, -1: empty */
        size_t n_buckets; /* a power of two, at least 2 * max_keys */
};

/* -ENOMEM, -EINVAL (max_keys 0). */
int payment_simulated_init(struct payment_simulated *sim, int flaky_failures, size_t max_keys);
void payment_simulated_destroy(struct payment_simulated *sim);
struct payment_provider payment_provider_simulated(struct payment_simulated *sim);
