/* libsodium adapters of identity's ports: argon2id password hashes (within
 * a memory budget) and SHA-256. */
#pragma once

#include "identity-outside.h"

#include <pthread.h>
#include <stddef.h>

/* argon2id takes memlimit bytes per hash or verify; memory_budget bounds
 * what all of them may take at once (budget / memlimit run together, at
 * least one). A caller beyond that waits up to wait_ms for its turn, then
 * the operation fails with -EBUSY (RESOURCE_EXHAUSTED): the process never
 * grows past the budget, whatever arrives. */
struct identity_argon2_config {
        unsigned long long opslimit; /* libsodium crypto_pwhash opslimit */
        size_t memlimit;             /* bytes */
        size_t memory_budget;        /* bytes */
        int wait_ms;
        /* the slots: set up by identity_hasher_argon2 */
        pthread_mutex_t lock;
        pthread_cond_t freed;
        int slots, in_use;
};

int identity_sodium_init(void);
/* cfg must outlive the hasher; its slots are set up here. */
struct identity_hasher identity_hasher_argon2(struct identity_argon2_config *cfg);
struct identity_digest identity_digest_sodium(void);
