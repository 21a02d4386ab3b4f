/* Ports: what the identity use cases need from outside besides storage --
 * password hashing, token signing, token revocation, rate limiting, time and
 * randomness (ports too, so use cases are deterministic under test).
 * Functions return 0 or a negative errno unless stated otherwise. */
#pragma once

#include "core/env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct identity_hasher_ops {
        /* A self-describing hash string (e.g. "$argon2id$v=19$..."). */
        int (*hash)(void *self, const char *password, char *out, size_t out_len);
        /* 0 when it matches, 1 when it does not. */
        int (*verify)(void *self, const char *hash, const char *password);
};
struct identity_hasher {
        const struct identity_hasher_ops *ops;
        void *self;
};

/* A published verification key (RFC 7517 members) and the set of them. */
enum { IDENTITY_MAX_JWKS = 8 };
struct identity_jwk {
        char kid[64], kty[8], alg[16], use[8], crv[16], x[64], y[64];
};
struct identity_jwks {
        char *document; /* the JWKS JSON, malloc'd: identity_jwks_clear() frees it */
        struct identity_jwk keys[IDENTITY_MAX_JWKS];
        size_t n;
};

struct identity_signer_ops {
        /* An access token for subject/role; *ret_token is malloc'd. */
        int (*sign)(void *self, const char *subject, unsigned role, const char *jti, int64_t now,
                    int64_t ttl_s, char **ret_token);
        /* The verification keys as a JWKS JSON document, malloc'd. */
        /* The verification keys, as a JWKS document and key by key. */
        int (*jwks)(void *self, struct identity_jwks *ret);
};
struct identity_signer {
        const struct identity_signer_ops *ops;
        void *self;
};

struct identity_revoker_ops {
        int (*revoke_token)(void *self, const char *jti, int64_t ttl_s);
        int (*revoke_subject)(void *self, const char *subject, int64_t before_s);
        int (*unrevoke_subject)(void *self, const char *subject);
};
struct identity_revoker {
        const struct identity_revoker_ops *ops;
        void *self;
};

struct identity_limiter_ops {
        /* Records a hit on key; *ret_allowed false when over limit per window. */
        int (*hit)(void *self, const char *key, int limit, int64_t window_ms, bool *ret_allowed);
        /* Counts an attempt on key as a failure before it is checked, atomically
         * (kv/ratelimit.h: kv_failures_claim): the failures of the last window
         * before it (how many, the newest in ms), and the attempt's member for
         * withdraw. */
        int (*claim)(void *self, const char *key, int64_t window_ms, int64_t *ret_count,
                     int64_t *ret_last_ms, char member[64]);
        /* The attempt was fine, or turned away before it was checked. */
        int (*withdraw)(void *self, const char *key, const char *member);
        int (*forget)(void *self, const char *key);
};
struct identity_limiter {
        const struct identity_limiter_ops *ops;
        void *self;
};

/* SHA-256 of a string as 64 hex digits (refresh tokens are stored this way). */
struct identity_digest_ops {
        void (*sha256_hex)(void *self, const char *in, char out[65]);
};
struct identity_digest {
        const struct identity_digest_ops *ops;
        void *self;
};
