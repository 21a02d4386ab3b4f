/* The divergence store in memory: the same contract as the MariaDB one
 * (checkout-ports.h), for the reconciler's use-case tests. One mutex; rows
 * grow in an array in store order. */
#pragma once

#include "checkout-ports.h"

#include <pthread.h>

struct checkout_memory_divergences {
        pthread_mutex_t lock;
        struct checkout_divergence *rows;
        size_t n, cap;
};

void checkout_memory_divergences_init(struct checkout_memory_divergences *m);
void checkout_memory_divergences_free(struct checkout_memory_divergences *m);
struct checkout_divergence_store checkout_divergences_memory(struct checkout_memory_divergences *m);
