/* libsodium adapters: argon2id password hashes, SHA-256, randomness, clock. */
#include "identity-outside-adapters.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int identity_sodium_init(void)
{
        return sodium_init() < 0 ? -EIO : 0;
}

static int argon2_hash(void *self, const char *password, char *out, size_t out_len)
{
        const struct identity_argon2_config *cfg = self;
        if (out_len < crypto_pwhash_STRBYTES)
                return -ENOSPC;
        if (crypto_pwhash_str_alg(out, password, strlen(password), cfg->opslimit, cfg->memlimit,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
                return -ENOMEM; /* libsodium's only failure: memory */
        return 0;
}

static int argon2_verify(void *self, const char *hash, const char *password)
{
        return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : 1;
}

static const struct identity_hasher_ops argon2_ops = {.hash = argon2_hash, .verify = argon2_verify};

struct identity_hasher identity_hasher_argon2(struct identity_argon2_config *cfg)
{
        return (struct identity_hasher){.ops = &argon2_ops, .self = cfg};
}

static void sodium_sha256_hex(void *self, const char *in, char out[65])
{
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, (const unsigned char *)in, strlen(in));
        sodium_bin2hex(out, 65, digest, sizeof(digest));
}

static const struct identity_digest_ops digest_ops = {.sha256_hex = sodium_sha256_hex};

struct identity_digest identity_digest_sodium(void)
{
        return (struct identity_digest){.ops = &digest_ops};
}
