/* The saga store in memory: the same contract as the MariaDB store
 * (checkout-ports.h), for use-case tests and the simulation. Leases are on
 * the clock given at init (the "store's clock"). One mutex; the sagas grow
 * in an array. Operator actions are also counted per kind (n_operated). */
#pragma once

#include "checkout-ports.h"

#include <pthread.h>

struct checkout_memory_row {
        struct checkout_saga saga;
        char owner[128];
        int64_t lease_until_ms;
        struct checkout_attempt *attempts; /* the journal */
        size_t n_attempts, cap_attempts;
        int64_t journal_dropped;         /* let go of by retention (prune) */
        struct checkout_action *actions; /* the audit trail */
        size_t n_actions, cap_actions;
};

struct checkout_memory_store {
        pthread_mutex_t lock;
        struct core_env clock; /* now_ms: the store's clock */
        struct checkout_memory_row *rows;
        size_t n, cap;
        int64_t next_seq;
        int n_operated[SAGA_OP_MARK_RESOLVED + 1];
};

void checkout_memory_store_init(struct checkout_memory_store *m, struct core_env clock);
void checkout_memory_store_free(struct checkout_memory_store *m);
struct checkout_store checkout_store_memory(struct checkout_memory_store *m);
