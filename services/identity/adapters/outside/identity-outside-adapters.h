/* Adapters of the identity "outside" ports: libsodium (argon2id hashing,
 * SHA-256, randomness, the clock), libs/auth (token signing, revocation in
 * Redis) and libs/kv (the login rate limiter). */
#pragma once

#include "auth/auth.h"
#include "identity-outside.h"
#include "kv/kv.h"

struct identity_argon2_config {
        unsigned long long opslimit; /* libsodium crypto_pwhash opslimit */
        size_t memlimit;             /* bytes */
};

int identity_sodium_init(void);
struct identity_hasher identity_hasher_argon2(struct identity_argon2_config *cfg);
struct identity_digest identity_digest_sodium(void);

struct identity_signer_jwt {
        const struct auth_keyset *keys;
        const struct auth_token_params *params;
};
struct identity_signer identity_signer_jwt(struct identity_signer_jwt *ctx);
struct identity_revoker identity_revoker_redis(struct kv *kv);
struct identity_limiter identity_limiter_redis(struct kv *kv);
