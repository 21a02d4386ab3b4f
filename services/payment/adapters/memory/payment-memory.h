/* The payment store and a payment provider in memory, with the same
 * contracts as the MariaDB store and a real provider (payment-ports.h), for
 * use-case tests and the checkout simulation.
 *
 * The provider keeps what a real one knows and a test must check: the holds
 * per order (authorized, captured, voided, refunded), answers again per key
 * without a second hold, and can call `in_flight` while an authorization is
 * "at the provider" -- where a test makes a void overtake it. */
#pragma once

#include "payment-ports.h"

#include <pthread.h>

struct payment_memory_store {
        pthread_mutex_t lock;
        struct payment *rows; /* grows */
        size_t n, cap;
};

void payment_memory_store_init(struct payment_memory_store *m);
void payment_memory_store_free(struct payment_memory_store *m);
struct payment_store payment_store_memory(struct payment_memory_store *m);

enum payment_hold { HOLD_NONE, HOLD_AUTHORIZED, HOLD_CAPTURED, HOLD_VOIDED, HOLD_REFUNDED };

struct payment_memory_hold {
        char key[65];
        char reference[64];
        bool approved;
        enum payment_hold state;
        struct payment_money amount;
        int authorize_calls; /* how often the key was asked for */
};

struct payment_memory_provider {
        pthread_mutex_t lock;
        struct payment_memory_hold *holds; /* grows */
        size_t n, cap;
        int failures_left; /* answer -EAGAIN this many more times (a provider outage) */
        /* Called (unlocked) after the provider decided, before it answers. */
        void (*in_flight)(void *ctx, const char *key);
        void *in_flight_ctx;
};

void payment_memory_provider_init(struct payment_memory_provider *m);
void payment_memory_provider_free(struct payment_memory_provider *m);
struct payment_provider payment_provider_memory(struct payment_memory_provider *m);
/* The hold of a key (NULL: the provider never heard of it). Not locked: for
 * tests, once quiet. */
const struct payment_memory_hold *payment_memory_hold_of(const struct payment_memory_provider *m,
                                                         const char *key);
