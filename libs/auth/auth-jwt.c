/* ES256 JWT signing and strict verification on libjwt; see auth/auth.h. */
#include "auth-int.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { AUTH_MAX_TOKEN = 8192, AUTH_MAX_HEADER = 1024 };

int auth_jwt_sign(const struct auth_keyset *ks, const struct auth_token_params *p,
                  const char *subject, unsigned role, const char *jti, int64_t now, int64_t ttl_s,
                  char **ret_token)
{
        const char *role_text = role_name(role);
        if (!ks->signing_pem || !role_text || !subject[0] || strlen(subject) > 63 || !jti[0] ||
            strlen(jti) > 63 || ttl_s <= 0)
                return -EINVAL;
        jwt_t *jwt = NULL;
        if (jwt_new(&jwt) != 0)
                return -ENOMEM;
        int r = 0;
        if (jwt_add_grant(jwt, "iss", p->issuer) || jwt_add_grant(jwt, "aud", p->audience) ||
            jwt_add_grant(jwt, "sub", subject) || jwt_add_grant(jwt, "role", role_text) ||
            jwt_add_grant(jwt, "jti", jti) || jwt_add_grant_int(jwt, "iat", (long)now) ||
            jwt_add_grant_int(jwt, "nbf", (long)now) ||
            jwt_add_grant_int(jwt, "exp", (long)(now + ttl_s)) ||
            jwt_add_header(jwt, "kid", ks->signing_kid) ||
            jwt_set_alg(jwt, JWT_ALG_ES256, (const unsigned char *)ks->signing_pem,
                        (int)ks->signing_len)) {
                r = -EINVAL;
        } else {
                char *token = jwt_encode_str(jwt);
                if (!token)
                        r = -EIO;
                else
                        *ret_token = token;
        }
        jwt_free(jwt);
        return r;
}

/* The header, parsed before any key is chosen: alg must be ES256 (libjwt would
 * otherwise let the token pick, e.g. HS256 keyed with our public key, or none). */
static int check_header(const char *token, size_t header_len, char *kid, size_t kid_len,
                        const char **reason)
{
        unsigned char raw[AUTH_MAX_HEADER];
        if (header_len > 4 * AUTH_MAX_HEADER / 3) {
                *reason = "malformed token";
                return -EINVAL;
        }
        long n = auth_b64url_decode(token, header_len, raw, sizeof(raw));
        json_error_t jerr;
        json_t *h = n > 0 ? json_loadb((const char *)raw, (size_t)n, 0, &jerr) : NULL;
        const char *alg = h ? json_string_value(json_object_get(h, "alg")) : NULL;
        const char *k = h ? json_string_value(json_object_get(h, "kid")) : NULL;
        json_t *typ = h ? json_object_get(h, "typ") : NULL;
        int r = 0;
        if (!json_is_object(h)) {
                *reason = "malformed token";
                r = -EINVAL;
        } else if (!alg || strcmp(alg, "ES256")) {
                *reason = "token algorithm not accepted (ES256 only)";
                r = -EPERM;
        } else if (json_object_get(h, "crit")) {
                *reason = "token has critical headers";
                r = -EPERM;
        } else if (typ && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT"))) {
                *reason = "not a JWT";
                r = -EINVAL;
        } else if (!k || !k[0] || strlen(k) >= kid_len) {
                *reason = "token has no key id";
                r = -ENOKEY;
        } else {
                strcpy(kid, k);
        }
        json_decref(h);
        return r;
}

static bool copy_claim(jwt_t *jwt, const char *name, char *out, size_t out_len)
{
        const char *v = jwt_get_grant(jwt, name);
        if (!v || !v[0] || strlen(v) >= out_len)
                return false;
        strcpy(out, v);
        return true;
}

/* aud may be a string or an array of strings (RFC 7519 §4.1.3). */
static bool audience_matches(jwt_t *jwt, const char *expected)
{
        const char *s = jwt_get_grant(jwt, "aud");
        if (s)
                return !strcmp(s, expected);
        char *list = jwt_get_grants_json(jwt, "aud");
        json_error_t jerr;
        json_t *arr = list ? json_loads(list, 0, &jerr) : NULL;
        free(list);
        bool found = false;
        size_t i;
        json_t *v;
        if (json_is_array(arr))
                json_array_foreach(arr, i, v) found |=
                        json_is_string(v) && !strcmp(json_string_value(v), expected);
        json_decref(arr);
        return found;
}

/* jwt_get_grant_int returns 0 and sets errno when absent or not a number. */
static bool int_claim(jwt_t *jwt, const char *name, int64_t *out)
{
        errno = 0;
        long v = jwt_get_grant_int(jwt, name);
        if (errno)
                return false;
        *out = v;
        return true;
}

static int check_claims(jwt_t *jwt, const struct auth_token_params *p, int64_t now,
                        struct auth_principal *pr, const char **reason)
{
        int64_t exp, nbf, iat = 0;
        char role[16];
        if (!int_claim(jwt, "exp", &exp)) {
                *reason = "token has no expiry";
                return -EINVAL;
        }
        if (now > exp + p->leeway_s) {
                *reason = "token expired";
                return -ETIME;
        }
        if (int_claim(jwt, "nbf", &nbf) && now + p->leeway_s < nbf) {
                *reason = "token not valid yet";
                return -ETIME;
        }
        int_claim(jwt, "iat", &iat);
        const char *iss = jwt_get_grant(jwt, "iss");
        if (!iss || strcmp(iss, p->issuer)) {
                *reason = "token from another issuer";
                return -EPERM;
        }
        if (!audience_matches(jwt, p->audience)) {
                *reason = "token for another audience";
                return -EPERM;
        }
        if (!copy_claim(jwt, "sub", pr->subject, sizeof(pr->subject)) ||
            !copy_claim(jwt, "jti", pr->jti, sizeof(pr->jti)) ||
            !copy_claim(jwt, "role", role, sizeof(role)) || role_parse(role, &pr->role) < 0) {
                *reason = "token lacks subject, id or a known role";
                return -EINVAL;
        }
        pr->issued_at = iat;
        pr->expires_at = exp;
        return 0;
}

int auth_jwt_verify(const struct auth_keyset *ks, const struct auth_token_params *p,
                    const char *token, int64_t now, struct auth_principal *ret,
                    const char **ret_reason)
{
        const char *reason = "malformed token";
        size_t len = strnlen(token, AUTH_MAX_TOKEN + 1);
        const char *dot1 = memchr(token, '.', len);
        const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
        if (len > AUTH_MAX_TOKEN || !dot1 || !dot2 ||
            memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) ||
            dot2 + 1 == token + len /* no signature: alg=none style */) {
                *ret_reason = len > AUTH_MAX_TOKEN ? "token too long" : reason;
                return -EINVAL;
        }
        char kid[64];
        int r = check_header(token, (size_t)(dot1 - token), kid, sizeof(kid), &reason);
        if (r < 0) {
                *ret_reason = reason;
                return r;
        }
        const struct auth_key *key = auth_keyset_find(ks, kid);
        if (!key) {
                *ret_reason = "unknown key id";
                return -ENOKEY;
        }
        jwt_t *jwt = NULL;
        if (jwt_decode(&jwt, token, (const unsigned char *)key->public_pem, (int)key->public_len) !=
            0) {
                *ret_reason = "bad token signature";
                return -EBADMSG;
        }
        struct auth_principal pr = {0};
        if (jwt_get_alg(jwt) != JWT_ALG_ES256) { /* belt and braces after check_header */
                reason = "token algorithm not accepted (ES256 only)";
                r = -EPERM;
        } else {
                r = check_claims(jwt, p, now, &pr, &reason);
        }
        jwt_free(jwt);
        if (r < 0) {
                *ret_reason = reason;
                return r;
        }
        *ret = pr;
        return 0;
}
