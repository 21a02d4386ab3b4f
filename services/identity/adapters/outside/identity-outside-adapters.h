/* Adapters of the identity "outside" ports: libsodium (argon2id hashing,
 * SHA-256, randomness, the clock), libs/auth (token signing, revocation in
 * Redis) and libs/kv (the login rate limiter). */
#pragma once

#include "auth/auth.h"
#include "identity-outside.h"
#include "kv/kv.h"

#include <pthread.h>

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

struct identity_signer_jwt {
        const struct auth_keyset *keys;
        const struct auth_token_params *params;
};
struct identity_signer identity_signer_jwt(struct identity_signer_jwt *ctx);
struct identity_revoker identity_revoker_redis(struct kv *kv);
struct identity_limiter identity_limiter_redis(struct kv *kv);
