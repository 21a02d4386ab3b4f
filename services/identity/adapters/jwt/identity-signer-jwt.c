/* Token signing and the JWKS document through libs/auth. */
#include "identity-signer-jwt.h"

#include "core/json.h"
#include "identity-rules.h"

#include <stdio.h>
#include <string.h>

static int jwt_sign(void *self, const char *subject, unsigned role, const char *jti, int64_t now,
                    int64_t ttl_s, char **ret_token)
{
        const struct identity_signer_jwt *s = self;
        return auth_jwt_sign(s->keys, s->params, subject, role, jti, now, ttl_s, ret_token);
}

/* libs/auth's JWKS document, and its keys taken apart for the gRPC answer. */
static int jwt_jwks(void *self, struct identity_jwks *ret)
{
        const struct identity_signer_jwt *s = self;
        memset(ret, 0, sizeof(*ret));
        int r = auth_keyset_jwks_json(s->keys, &ret->document);
        if (r < 0)
                return r;
        json_error_t jerr;
        json_t *doc = json_loads(ret->document, 0, &jerr);
        json_t *keys = json_object_get(doc, "keys");
        for (size_t i = 0; i < json_array_size(keys) && ret->n < IDENTITY_MAX_JWKS; i++) {
                json_t *k = json_array_get(keys, i);
                struct identity_jwk *out = &ret->keys[ret->n++];
                json_copy_string(k, "kid", out->kid, sizeof(out->kid));
                json_copy_string(k, "kty", out->kty, sizeof(out->kty));
                json_copy_string(k, "alg", out->alg, sizeof(out->alg));
                json_copy_string(k, "use", out->use, sizeof(out->use));
                json_copy_string(k, "crv", out->crv, sizeof(out->crv));
                json_copy_string(k, "x", out->x, sizeof(out->x));
                json_copy_string(k, "y", out->y, sizeof(out->y));
        }
        json_decref(doc);
        return 0;
}

static const struct identity_signer_ops signer_ops = {.sign = jwt_sign, .jwks = jwt_jwks};

struct identity_signer identity_signer_jwt(struct identity_signer_jwt *ctx)
{
        return (struct identity_signer){.ops = &signer_ops, .self = ctx};
}
