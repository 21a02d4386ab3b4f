/* A simulated payment provider with deterministic test tokens (README):
 *   tok_ok                  approved
 *   tok_decline             declined: card_declined
 *   tok_insufficient_funds  declined: insufficient_funds
 *   tok_slow                approved, but only after the caller's deadline
 *   tok_flaky               temporarily unavailable the first N times per order, then approved
 *   any other token         declined: unknown_token
 * Idempotent per key like a real provider: authorizing the same order again
 * returns the first result. */
#pragma once

#include "payment-ports.h"

#include <pthread.h>

struct payment_simulated {
        int flaky_failures; /* N for tok_flaky */
        pthread_mutex_t lock;
        struct sim_entry *entries; /* remembered authorizations, by key */
        size_t n, cap;
};

int payment_simulated_init(struct payment_simulated *sim, int flaky_failures);
void payment_simulated_destroy(struct payment_simulated *sim);
struct payment_provider payment_provider_simulated(struct payment_simulated *sim);
