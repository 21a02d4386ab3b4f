/* libsodium adapters: argon2id password hashes, SHA-256, randomness, clock. */
#include "identity-sodium.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int identity_sodium_init(void)
{
        return sodium_init() < 0 ? -EIO : 0;
}

/* Takes one of the budget's slots, waiting up to wait_ms; -EBUSY when none came. */
static int take_slot(struct identity_argon2_config *cfg)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += cfg->wait_ms / 1000;
        until.tv_nsec += (long)(cfg->wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        int r = 0;
        pthread_mutex_lock(&cfg->lock);
        while (cfg->in_use >= cfg->slots && r == 0)
                r = pthread_cond_timedwait(&cfg->freed, &cfg->lock, &until);
        if (cfg->in_use < cfg->slots) {
                cfg->in_use++;
                r = 0;
        }
        pthread_mutex_unlock(&cfg->lock);
        return r ? -EBUSY : 0;
}

static void give_slot(struct identity_argon2_config *cfg)
{
        pthread_mutex_lock(&cfg->lock);
        cfg->in_use--;
        pthread_cond_signal(&cfg->freed);
        pthread_mutex_unlock(&cfg->lock);
}

static int argon2_hash(void *self, const char *password, char *out, size_t out_len)
{
        struct identity_argon2_config *cfg = self;
        if (out_len < crypto_pwhash_STRBYTES)
                return -ENOBUFS;
        int r = take_slot(cfg);
        if (r < 0)
                return r;
        if (crypto_pwhash_str_alg(out, password, strlen(password), cfg->opslimit, cfg->memlimit,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
                r = -ENOMEM;
        give_slot(cfg);
        return r;
}

static int argon2_verify(void *self, const char *hash, const char *password)
{
        struct identity_argon2_config *cfg = self;
        int r = take_slot(cfg);
        if (r < 0)
                return r;
        r = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : 1;
        give_slot(cfg);
        return r;
}

static const struct identity_hasher_ops argon2_ops = {.hash = argon2_hash, .verify = argon2_verify};

struct identity_hasher identity_hasher_argon2(struct identity_argon2_config *cfg)
{
        pthread_mutex_init(&cfg->lock, NULL);
        pthread_cond_init(&cfg->freed, NULL);
        size_t slots = cfg->memlimit ? cfg->memory_budget / cfg->memlimit : 1;
        cfg->slots = slots < 1 ? 1 : slots > 1024 ? 1024 : (int)slots;
        cfg->in_use = 0;
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
