/* libs/auth: access tokens for every service.
 *
 * Tokens are ES256 JWTs signed by the identity service. Verification trusts
 * nothing in the token that libjwt would: the header must say alg ES256, the
 * key is chosen by `kid` from the keyset (several keys at once, so keys can
 * rotate), and exp, nbf, iss, aud, sub, role and jti are checked here
 * (libjwt 1.10 validates no claims and accepts alg=none without a key).
 *
 * Threading: a keyset is immutable once built and may be shared by threads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Roles are libs/core's (core/roles.h): the guard and the services share them. */
#include "core/roles.h"

struct auth_principal {
        char subject[64]; /* user id, or service name for SERVICE */
        unsigned role;    /* exactly one enum auth_role bit */
        char jti[64];     /* token id, for revocation */
        int64_t issued_at;
        int64_t expires_at; /* seconds since the epoch */
};

struct auth_token_params {
        const char *issuer;   /* e.g. "bookstore-identity" */
        const char *audience; /* e.g. "bookstore" */
        int64_t leeway_s;     /* clock skew allowed on exp and nbf */
};

/* ---- keys -------------------------------------------------------------- */

struct auth_keyset;

int auth_keyset_new(struct auth_keyset **ret_keyset);
void auth_keyset_free(struct auth_keyset *ks); /* accepts NULL */

/* Adds a P-256 public key for verification: a PEM public key, or a PEM
 * certificate holding one (only the key is used). -EEXIST for a kid already
 * present, -EINVAL for anything but an EC P-256 key. */
int auth_keyset_add_public_pem(struct auth_keyset *ks, const char *kid, const char *pem,
                               size_t len);
/* Sets the signing key (P-256 private key, PEM); its public half is added
 * for verification under the same kid. */
int auth_keyset_set_signing_pem(struct auth_keyset *ks, const char *kid, const char *pem,
                                size_t len);
size_t auth_keyset_count(const struct auth_keyset *ks);

/* Reads BOOKSTORE_JWT_VERIFY_KEYS ("kid=/path/key.pub.pem,kid2=/path2.pem")
 * and, when want_signing, BOOKSTORE_JWT_SIGNING_KEY (path to the private key
 * PEM) with BOOKSTORE_JWT_SIGNING_KID. -EINVAL with a message naming the
 * variable or file on any problem. */
int auth_keyset_from_env(struct auth_keyset *ks, bool want_signing, char *err, size_t err_len);
/* BOOKSTORE_JWT_ISSUER, BOOKSTORE_JWT_AUDIENCE, BOOKSTORE_JWT_LEEWAY_S. */
int auth_token_params_from_env(struct auth_token_params *p, char *err, size_t err_len);

/* The verification keys as a JWK set (RFC 7517) JSON document; free() it. */
int auth_keyset_jwks_json(const struct auth_keyset *ks, char **ret_json);

/* ---- tokens ------------------------------------------------------------ */

/* Signs a token for subject/role with the signing key; *ret_token is
 * malloc'd. iat = nbf = now, exp = now + ttl_s. */
int auth_jwt_sign(const struct auth_keyset *ks, const struct auth_token_params *p,
                  const char *subject, unsigned role, const char *jti, int64_t now, int64_t ttl_s,
                  char **ret_token);

/* Verifies a token at time `now` (seconds). 0 and *ret set on success; else
 * a negative errno and *ret_reason (static text for logs and for the client:
 * "token expired", "unknown key id", ...). Every failure means UNAUTHENTICATED. */
int auth_jwt_verify(const struct auth_keyset *ks, const struct auth_token_params *p,
                    const char *token, int64_t now, struct auth_principal *ret,
                    const char **ret_reason);
