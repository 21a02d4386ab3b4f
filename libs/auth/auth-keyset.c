/* Keys: P-256 public keys by kid, one optional signing key, JWKS export and
 * configuration from the environment. OpenSSL parses and checks the PEMs. */
#include "auth-int.h"

#include "core/config.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int auth_keyset_new(struct auth_keyset **ret_keyset)
{
        struct auth_keyset *ks = calloc(1, sizeof(*ks));
        if (!ks)
                return -ENOMEM;
        *ret_keyset = ks;
        return 0;
}

void auth_keyset_free(struct auth_keyset *ks)
{
        if (!ks)
                return;
        for (size_t i = 0; i < ks->n; i++) {
                free(ks->keys[i].kid);
                free(ks->keys[i].public_pem);
        }
        free(ks->keys);
        free(ks->signing_kid);
        if (ks->signing_pem) {
                memset(ks->signing_pem, 0, ks->signing_len); /* private key material */
                free(ks->signing_pem);
        }
        free(ks);
}

size_t auth_keyset_count(const struct auth_keyset *ks)
{
        return ks->n;
}

const struct auth_key *auth_keyset_find(const struct auth_keyset *ks, const char *kid)
{
        for (size_t i = 0; i < ks->n; i++)
                if (!strcmp(ks->keys[i].kid, kid))
                        return &ks->keys[i];
        return NULL;
}

static bool is_p256(EVP_PKEY *pk)
{
        char group[64] = "";
        return EVP_PKEY_is_a(pk, "EC") &&
               EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                              NULL) &&
               !strcmp(group, "prime256v1");
}

static int coordinate(EVP_PKEY *pk, const char *param, char *out, size_t out_len)
{
        BIGNUM *bn = NULL;
        unsigned char raw[32];
        if (!EVP_PKEY_get_bn_param(pk, param, &bn) || BN_bn2binpad(bn, raw, sizeof(raw)) < 0) {
                BN_free(bn);
                return -EINVAL;
        }
        BN_free(bn);
        auth_b64url_encode(raw, sizeof(raw), out, out_len);
        return 0;
}

/* Adds pk (public part) under kid. */
static int add_key(struct auth_keyset *ks, const char *kid, EVP_PKEY *pk)
{
        if (!kid[0] || strlen(kid) > 63)
                return -EINVAL;
        struct auth_key key = {0};
        if (coordinate(pk, OSSL_PKEY_PARAM_EC_PUB_X, key.x, sizeof(key.x)) < 0 ||
            coordinate(pk, OSSL_PKEY_PARAM_EC_PUB_Y, key.y, sizeof(key.y)) < 0)
                return -EINVAL;
        BIO *out = BIO_new(BIO_s_mem());
        if (!out || !PEM_write_bio_PUBKEY(out, pk)) {
                BIO_free(out);
                return -ENOMEM;
        }
        char *data;
        long len = BIO_get_mem_data(out, &data);
        /* the same key under the same kid twice is fine (e.g. identity's signing key is
         * also in the shared verification list); another key under a taken kid is not */
        const struct auth_key *existing = auth_keyset_find(ks, kid);
        if (existing) {
                bool same = existing->public_len == (size_t)len &&
                            !memcmp(existing->public_pem, data, (size_t)len);
                BIO_free(out);
                return same ? 0 : -EEXIST;
        }
        key.public_pem = strndup(data, (size_t)len);
        key.public_len = (size_t)len;
        BIO_free(out);
        key.kid = strdup(kid);
        struct auth_key *keys = realloc(ks->keys, (ks->n + 1) * sizeof(*keys));
        if (!key.public_pem || !key.kid || !keys) {
                free(key.public_pem);
                free(key.kid);
                if (keys)
                        ks->keys = keys;
                return -ENOMEM;
        }
        ks->keys = keys;
        ks->keys[ks->n++] = key;
        return 0;
}

int auth_keyset_add_public_pem(struct auth_keyset *ks, const char *kid, const char *pem, size_t len)
{
        BIO *in = BIO_new_mem_buf(pem, (int)len);
        EVP_PKEY *pk = NULL;
        static const char cert_begin[] = "-----BEGIN CERTIFICATE-----";
        if (in && memmem(pem, len, cert_begin, sizeof(cert_begin) - 1)) {
                /* a certificate carrying the key (what Helm can generate from a
                 * private key); only its public key is used, not its validity */
                X509 *cert = PEM_read_bio_X509(in, NULL, NULL, NULL);
                pk = cert ? X509_get_pubkey(cert) : NULL;
                X509_free(cert);
        } else if (in) {
                pk = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL);
        }
        BIO_free(in);
        int r = pk && is_p256(pk) ? add_key(ks, kid, pk) : -EINVAL;
        EVP_PKEY_free(pk);
        return r;
}

int auth_keyset_set_signing_pem(struct auth_keyset *ks, const char *kid, const char *pem,
                                size_t len)
{
        if (ks->signing_pem)
                return -EEXIST;
        BIO *in = BIO_new_mem_buf(pem, (int)len);
        EVP_PKEY *pk = in ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
        BIO_free(in);
        int r = pk && is_p256(pk) ? add_key(ks, kid, pk) : -EINVAL;
        EVP_PKEY_free(pk);
        if (r < 0)
                return r;
        ks->signing_kid = strdup(kid);
        ks->signing_pem = malloc(len + 1);
        if (!ks->signing_kid || !ks->signing_pem)
                return -ENOMEM;
        memcpy(ks->signing_pem, pem, len);
        ks->signing_pem[len] = '\0';
        ks->signing_len = len;
        return 0;
}

/* ---- environment ------------------------------------------------------- */

static char *read_small_file(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        char *buf = malloc(16384);
        size_t n = buf ? fread(buf, 1, 16383, f) : 0;
        fclose(f);
        if (!buf || n == 0) {
                free(buf);
                return NULL;
        }
        buf[n] = '\0';
        *ret_len = n;
        return buf;
}

typedef int (*add_pem_fn)(struct auth_keyset *ks, const char *kid, const char *pem, size_t len);

static int add_from_file(struct auth_keyset *ks, const char *var, const char *kid, const char *path,
                         add_pem_fn add, char *err, size_t err_len)
{
        size_t len;
        char *pem = read_small_file(path, &len);
        if (!pem) {
                snprintf(err, err_len, "%s: cannot read key file '%s'", var, path);
                return -EINVAL;
        }
        int r = add(ks, kid, pem, len);
        memset(pem, 0, len);
        free(pem);
        if (r < 0)
                snprintf(err, err_len, "%s: '%s' (kid '%s') is not a usable P-256 %s key%s", var,
                         path, kid, add == auth_keyset_add_public_pem ? "public" : "private",
                         r == -EEXIST ? " (duplicate kid)" : "");
        return r < 0 ? -EINVAL : 0;
}

int auth_keyset_from_env(struct auth_keyset *ks, bool want_signing, char *err, size_t err_len)
{
        if (want_signing) {
                const char *path = getenv("BOOKSTORE_JWT_SIGNING_KEY");
                const char *kid = getenv("BOOKSTORE_JWT_SIGNING_KID");
                if (!path || !*path || !kid || !*kid) {
                        snprintf(err, err_len,
                                 "BOOKSTORE_JWT_SIGNING_KEY and "
                                 "BOOKSTORE_JWT_SIGNING_KID must be set");
                        return -EINVAL;
                }
                if (add_from_file(ks, "BOOKSTORE_JWT_SIGNING_KEY", kid, path,
                                  auth_keyset_set_signing_pem, err, err_len) < 0)
                        return -EINVAL;
        }
        const char *list = getenv("BOOKSTORE_JWT_VERIFY_KEYS");
        char *copy = list ? strdup(list) : NULL, *save = NULL;
        int r = 0;
        for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item && r == 0;
             item = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(item, '=');
                if (!eq || eq == item || !eq[1]) {
                        snprintf(err, err_len,
                                 "BOOKSTORE_JWT_VERIFY_KEYS: expected kid=/path/key.pem[,...], "
                                 "got '%.64s'",
                                 item);
                        r = -EINVAL;
                        break;
                }
                *eq = '\0';
                r = add_from_file(ks, "BOOKSTORE_JWT_VERIFY_KEYS", item, eq + 1,
                                  auth_keyset_add_public_pem, err, err_len);
        }
        free(copy);
        if (r == 0 && ks->n == 0) {
                snprintf(err, err_len, "BOOKSTORE_JWT_VERIFY_KEYS: no verification key configured");
                r = -EINVAL;
        }
        return r;
}

int auth_token_params_from_env(struct auth_token_params *p, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        long leeway;
        if (cfg_string("BOOKSTORE_JWT_ISSUER", "bookstore-identity", &p->issuer, &e) < 0 ||
            cfg_string("BOOKSTORE_JWT_AUDIENCE", "bookstore", &p->audience, &e) < 0 ||
            cfg_int("BOOKSTORE_JWT_LEEWAY_S", 30, 0, 600, &leeway, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        p->leeway_s = leeway;
        return 0;
}

int auth_keyset_jwks_json(const struct auth_keyset *ks, char **ret_json)
{
        json_t *keys = json_array();
        for (size_t i = 0; keys && i < ks->n; i++)
                json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty",
                                                      "EC", "crv", "P-256", "alg", "ES256", "use",
                                                      "sig", "kid", ks->keys[i].kid, "x",
                                                      ks->keys[i].x, "y", ks->keys[i].y));
        json_t *doc = keys ? json_pack("{s:o}", "keys", keys) : NULL;
        char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(doc);
        if (!text)
                return -ENOMEM;
        *ret_json = text;
        return 0;
}

/* ---- base64url --------------------------------------------------------- */

void auth_b64url_encode(const unsigned char *in, size_t len, char *out, size_t out_len)
{
        char tmp[4 * (192 / 3) + 1]; /* callers encode key coordinates: small inputs */
        if (len > 192) {
                out[0] = '\0';
                return;
        }
        int n = EVP_EncodeBlock((unsigned char *)tmp, in, (int)len);
        size_t k = 0;
        for (int i = 0; i < n && tmp[i] != '=' && k + 1 < out_len; i++)
                out[k++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
        out[k] = '\0';
}

long auth_b64url_decode(const char *in, size_t len, unsigned char *out, size_t out_len)
{
        if (len % 4 == 1 || len > 4 * (out_len / 3))
                return -1;
        size_t padded = (len + 3) / 4 * 4;
        char *tmp = malloc(padded + 1);
        unsigned char *raw = malloc(padded / 4 * 3 + 1);
        long n = -1;
        if (tmp && raw) {
                for (size_t i = 0; i < len; i++) {
                        char c = in[i];
                        if (c == '+' || c == '/' || c == '=') /* only the url alphabet */
                                goto out;
                        tmp[i] = c == '-' ? '+' : c == '_' ? '/' : c;
                }
                for (size_t i = len; i < padded; i++)
                        tmp[i] = '=';
                int got = EVP_DecodeBlock(raw, (const unsigned char *)tmp, (int)padded);
                if (got >= 0) {
                        n = got - (long)(padded - len); /* DecodeBlock counts the padding */
                        if (n >= 0 && (size_t)n <= out_len)
                                memcpy(out, raw, (size_t)n);
                        else
                                n = -1;
                }
        }
out:
        free(tmp);
        free(raw);
        return n;
}
