/* Private to libs/auth. */
#pragma once

#include "auth/auth.h"

struct auth_key {
        char *kid;
        char *public_pem;
        size_t public_len;
        char x[64], y[64]; /* base64url coordinates, for JWKS */
};

struct auth_keyset {
        struct auth_key *keys;
        size_t n;
        char *signing_kid;
        char *signing_pem;
        size_t signing_len;
};

const struct auth_key *auth_keyset_find(const struct auth_keyset *ks, const char *kid);

/* base64url (RFC 4648 §5, no padding). decode returns the length or -1. */
void auth_b64url_encode(const unsigned char *in, size_t len, char *out, size_t out_len);
long auth_b64url_decode(const char *in, size_t len, unsigned char *out, size_t out_len);

/* Token revocation in Redis (auth-revocation-redis.c writes, the synced set
 * reads): besides the per-token and per-subject keys, every revoked token in
 * a sorted set scored by its expiry, every revoked subject in a hash, and a
 * message on the channel for each change. */
#define AUTH_REVOKED_TOKENS_KEY   "auth:revoked:jtis"
#define AUTH_REVOKED_SUBJECTS_KEY "auth:revoked:subs"
#define AUTH_REVOKED_CHANNEL      "auth:revoked"
