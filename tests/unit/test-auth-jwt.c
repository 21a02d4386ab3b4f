/* libs/auth tokens: signing, verification and the attacks the verifier must
 * refuse. Keys are generated per run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../common/test-keys.h"
#include "auth/auth.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* private to libs/auth, used here to forge tokens */
void auth_b64url_encode(const unsigned char *in, size_t len, char *out, size_t out_len);

static const struct auth_token_params params = {
        .issuer = "bookstore-identity", .audience = "bookstore", .leeway_s = 30};
static const int64_t NOW = 1800000000;

static struct auth_keyset *signer;   /* signs with k1 */
static struct auth_keyset *other;    /* signs with k9: a key we do not trust */
static struct auth_keyset *impostor; /* signs with another key under the name k1 */
static char *k1_private, *k1_public;

static int setup(void **state)
{
        char *priv, *pub;
        if (test_p256_keypair(&k1_private, &k1_public) < 0 || auth_keyset_new(&signer) < 0 ||
            auth_keyset_set_signing_pem(signer, "k1", k1_private, strlen(k1_private)) < 0)
                return -1;
        test_p256_keypair(&priv, &pub);
        auth_keyset_new(&other);
        auth_keyset_set_signing_pem(other, "k9", priv, strlen(priv));
        free(priv);
        free(pub);
        test_p256_keypair(&priv, &pub);
        auth_keyset_new(&impostor);
        auth_keyset_set_signing_pem(impostor, "k1", priv, strlen(priv));
        free(priv);
        free(pub);
        return 0;
}

static int teardown(void **state)
{
        auth_keyset_free(signer);
        auth_keyset_free(other);
        auth_keyset_free(impostor);
        free(k1_private);
        free(k1_public);
        return 0;
}

/* A verifier that trusts only k1's public key, like every service but identity. */
static struct auth_keyset *verifier(void)
{
        struct auth_keyset *ks;
        auth_keyset_new(&ks);
        assert_int_equal(auth_keyset_add_public_pem(ks, "k1", k1_public, strlen(k1_public)), 0);
        return ks;
}

static char *sign(const struct auth_keyset *ks, const struct auth_token_params *p, int64_t at,
                  int64_t ttl)
{
        char *token = NULL;
        assert_int_equal(auth_jwt_sign(ks, p, "user-42", ROLE_SELLER, "jti-1", at, ttl, &token), 0);
        return token;
}

static const char *verify_reason(const struct auth_keyset *ks, const char *token, int64_t now)
{
        struct auth_principal p;
        const char *reason = NULL;
        int r = auth_jwt_verify(ks, &params, token, now, &p, &reason);
        if (r == 0)
                return NULL;
        assert_non_null(reason);
        return reason;
}

static void valid_token_round_trips(void **state)
{
        struct auth_keyset *ks = verifier();
        char *token = sign(signer, &params, NOW, 900);
        struct auth_principal p;
        const char *reason = NULL;
        assert_int_equal(auth_jwt_verify(ks, &params, token, NOW + 10, &p, &reason), 0);
        assert_string_equal(p.subject, "user-42");
        assert_int_equal(p.role, ROLE_SELLER);
        assert_string_equal(p.jti, "jti-1");
        assert_int_equal(p.expires_at, NOW + 900);
        assert_int_equal(p.issued_at, NOW);
        /* within the leeway after expiry, then not */
        assert_null(verify_reason(ks, token, NOW + 900 + 20));
        assert_string_equal(verify_reason(ks, token, NOW + 900 + 31), "token expired");
        free(token);
        auth_keyset_free(ks);
}

static void time_and_audience_claims_are_enforced(void **state)
{
        struct auth_keyset *ks = verifier();
        char *future = sign(signer, &params, NOW + 3600, 900);
        assert_string_equal(verify_reason(ks, future, NOW), "token not valid yet");
        struct auth_token_params evil = params;
        evil.issuer = "someone-else";
        char *t = sign(signer, &evil, NOW, 900);
        assert_string_equal(verify_reason(ks, t, NOW), "token from another issuer");
        free(t);
        evil = params;
        evil.audience = "another-system";
        t = sign(signer, &evil, NOW, 900);
        assert_string_equal(verify_reason(ks, t, NOW), "token for another audience");
        free(t);
        free(future);
        auth_keyset_free(ks);
}

static void untrusted_keys_are_refused(void **state)
{
        struct auth_keyset *ks = verifier();
        char *t = sign(other, &params, NOW, 900);
        assert_string_equal(verify_reason(ks, t, NOW), "unknown key id");
        free(t);
        t = sign(impostor, &params, NOW, 900); /* right kid, wrong key */
        assert_string_equal(verify_reason(ks, t, NOW), "bad token signature");
        free(t);
        auth_keyset_free(ks);
}

static char *b64url_json(const char *json)
{
        char *out = malloc(strlen(json) * 2 + 8);
        auth_b64url_encode((const unsigned char *)json, strlen(json), out, strlen(json) * 2 + 8);
        return out;
}

static char *forge(const char *header_json, const char *payload_json, const char *signature)
{
        char *h = b64url_json(header_json), *p = b64url_json(payload_json);
        char *token;
        if (asprintf(&token, "%s.%s.%s", h, p, signature) < 0)
                token = NULL;
        free(h);
        free(p);
        return token;
}

static void alg_none_and_hmac_confusion_are_refused(void **state)
{
        struct auth_keyset *ks = verifier();
        const char *claims = "{\"iss\":\"bookstore-identity\",\"aud\":\"bookstore\",\"sub\":\"x\","
                             "\"role\":\"ADMIN\",\"jti\":\"j\",\"exp\":1900000000}";
        char *none = forge("{\"alg\":\"none\",\"kid\":\"k1\"}", claims, "");
        assert_string_equal(verify_reason(ks, none, NOW), "malformed token");
        free(none);
        none = forge("{\"alg\":\"none\",\"kid\":\"k1\"}", claims, "c2ln");
        assert_string_equal(verify_reason(ks, none, NOW),
                            "token algorithm not accepted (ES256 only)");
        free(none);

        /* HS256 "signed" with our public key: the classic confusion attack */
        jwt_t *jwt;
        jwt_new(&jwt);
        jwt_add_grants_json(jwt, claims);
        jwt_add_header(jwt, "kid", "k1");
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)k1_public, (int)strlen(k1_public));
        char *hs = jwt_encode_str(jwt);
        jwt_free(jwt);
        assert_non_null(hs);
        assert_string_equal(verify_reason(ks, hs, NOW),
                            "token algorithm not accepted (ES256 only)");
        free(hs);
        auth_keyset_free(ks);
}

static void tampered_or_malformed_tokens_are_refused(void **state)
{
        struct auth_keyset *ks = verifier();
        char *t = sign(signer, &params, NOW, 900);
        /* swap the payload for one that claims ADMIN, keep the signature */
        char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
        char *admin = b64url_json("{\"iss\":\"bookstore-identity\",\"aud\":\"bookstore\","
                                  "\"sub\":\"user-42\",\"role\":\"ADMIN\",\"jti\":\"jti-1\","
                                  "\"exp\":1900000000}");
        char *tampered;
        assert_true(asprintf(&tampered, "%.*s.%s%s", (int)(dot1 - t), t, admin, dot2) > 0);
        assert_string_equal(verify_reason(ks, tampered, NOW), "bad token signature");
        free(tampered);
        free(admin);
        /* a flipped signature character */
        t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
        assert_string_equal(verify_reason(ks, t, NOW), "bad token signature");
        free(t);
        const char *bad[] = {"",
                             "abc",
                             "a.b",
                             "a.b.c.d",
                             "!!!.e30.c2ln",
                             "e30.e30.c2ln",
                             "eyJhbGciOiJFUzI1NiJ9.e30.c2ln" /* no kid */};
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                assert_non_null(verify_reason(ks, bad[i], NOW));
        char *huge = malloc(10000);
        memset(huge, 'a', 9999);
        huge[9999] = '\0';
        huge[100] = huge[200] = '.';
        assert_string_equal(verify_reason(ks, huge, NOW), "token too long");
        free(huge);
        auth_keyset_free(ks);
}

static void rotation_accepts_every_configured_key(void **state)
{
        /* identity signs with k2 now; k1 tokens stay valid until they expire */
        char *priv2, *pub2;
        test_p256_keypair(&priv2, &pub2);
        struct auth_keyset *rotated;
        auth_keyset_new(&rotated);
        assert_int_equal(auth_keyset_set_signing_pem(rotated, "k2", priv2, strlen(priv2)), 0);
        assert_int_equal(auth_keyset_add_public_pem(rotated, "k1", k1_public, strlen(k1_public)),
                         0);
        assert_int_equal(auth_keyset_add_public_pem(rotated, "k1", k1_public, strlen(k1_public)),
                         0); /* the same key again: no change */
        assert_int_equal(auth_keyset_add_public_pem(rotated, "k2", k1_public, strlen(k1_public)),
                         -EEXIST); /* another key under a taken kid */
        char *old = sign(signer, &params, NOW, 900), *new = sign(rotated, &params, NOW, 900);
        assert_null(verify_reason(rotated, old, NOW));
        assert_null(verify_reason(rotated, new, NOW));
        struct auth_keyset *before = verifier(); /* a service not yet told about k2 */
        assert_string_equal(verify_reason(before, new, NOW), "unknown key id");
        assert_int_equal(auth_keyset_count(rotated), 2);
        free(old);
        free(new);
        free(priv2);
        free(pub2);
        auth_keyset_free(rotated);
        auth_keyset_free(before);
}

static void jwks_lists_every_verification_key(void **state)
{
        char *json;
        assert_int_equal(auth_keyset_jwks_json(signer, &json), 0);
        json_error_t err;
        json_t *doc = json_loads(json, 0, &err);
        json_t *key = json_array_get(json_object_get(doc, "keys"), 0);
        assert_string_equal(json_string_value(json_object_get(key, "kid")), "k1");
        assert_string_equal(json_string_value(json_object_get(key, "kty")), "EC");
        assert_string_equal(json_string_value(json_object_get(key, "crv")), "P-256");
        assert_string_equal(json_string_value(json_object_get(key, "alg")), "ES256");
        assert_int_equal(strlen(json_string_value(json_object_get(key, "x"))), 43);
        assert_int_equal(strlen(json_string_value(json_object_get(key, "y"))), 43);
        json_decref(doc);
        free(json);
        /* a public key is not a signing key; RSA or garbage is not P-256 */
        struct auth_keyset *ks;
        auth_keyset_new(&ks);
        assert_int_equal(auth_keyset_set_signing_pem(ks, "x", k1_public, strlen(k1_public)),
                         -EINVAL);
        assert_int_equal(auth_keyset_add_public_pem(ks, "x", "not a pem", 9), -EINVAL);
        char *t = NULL;
        assert_int_equal(auth_jwt_sign(ks, &params, "s", ROLE_ADMIN, "j", NOW, 60, &t), -EINVAL);
        auth_keyset_free(ks);
}

static void keys_come_from_the_environment(void **state)
{
        char dir[] = "/tmp/bs-keys-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char priv_path[64], pub_path[64], list[160];
        snprintf(priv_path, sizeof(priv_path), "%s/k1.pem", dir);
        snprintf(pub_path, sizeof(pub_path), "%s/k1.pub.pem", dir);
        FILE *f = fopen(priv_path, "w");
        fputs(k1_private, f);
        fclose(f);
        f = fopen(pub_path, "w");
        fputs(k1_public, f);
        fclose(f);
        char err[256];
        struct auth_keyset *ks;

        auth_keyset_new(&ks);
        setenv("BOOKSTORE_JWT_SIGNING_KEY", priv_path, 1);
        setenv("BOOKSTORE_JWT_SIGNING_KID", "k1", 1);
        unsetenv("BOOKSTORE_JWT_VERIFY_KEYS");
        assert_int_equal(auth_keyset_from_env(ks, true, err, sizeof(err)), 0);
        auth_keyset_free(ks);

        auth_keyset_new(&ks);
        snprintf(list, sizeof(list), "old=%s", pub_path);
        setenv("BOOKSTORE_JWT_VERIFY_KEYS", list, 1);
        assert_int_equal(auth_keyset_from_env(ks, false, err, sizeof(err)), 0);
        assert_int_equal(auth_keyset_count(ks), 1);
        auth_keyset_free(ks);

        auth_keyset_new(&ks);
        setenv("BOOKSTORE_JWT_VERIFY_KEYS", "k1=/nonexistent.pem", 1);
        assert_int_equal(auth_keyset_from_env(ks, false, err, sizeof(err)), -EINVAL);
        assert_string_equal(err,
                            "BOOKSTORE_JWT_VERIFY_KEYS: cannot read key file '/nonexistent.pem'");
        auth_keyset_free(ks);
        auth_keyset_new(&ks);
        setenv("BOOKSTORE_JWT_VERIFY_KEYS", "nokid", 1);
        assert_int_equal(auth_keyset_from_env(ks, false, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "expected kid=/path/key.pem"));
        auth_keyset_free(ks);
        unlink(priv_path);
        unlink(pub_path);
        rmdir(dir);
        unsetenv("BOOKSTORE_JWT_VERIFY_KEYS");
        unsetenv("BOOKSTORE_JWT_SIGNING_KEY");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(valid_token_round_trips),
                cmocka_unit_test(time_and_audience_claims_are_enforced),
                cmocka_unit_test(untrusted_keys_are_refused),
                cmocka_unit_test(alg_none_and_hmac_confusion_are_refused),
                cmocka_unit_test(tampered_or_malformed_tokens_are_refused),
                cmocka_unit_test(rotation_accepts_every_configured_key),
                cmocka_unit_test(jwks_lists_every_verification_key),
                cmocka_unit_test(keys_come_from_the_environment),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
