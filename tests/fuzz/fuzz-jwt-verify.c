/* Fuzz target: token verification must refuse (never crash on, never leak
 * with) any byte string in the authorization header. */
#include "../common/test-keys.h"
#include "auth/auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct auth_keyset *keys;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!keys) {
                char *priv, *pub;
                if (test_p256_keypair(&priv, &pub) < 0 || auth_keyset_new(&keys) < 0 ||
                    auth_keyset_add_public_pem(keys, "k1", pub, strlen(pub)) < 0)
                        abort();
                free(priv);
                free(pub);
        }
        char *token = malloc(size + 1);
        memcpy(token, data, size);
        token[size] = '\0';
        const struct auth_token_params params = {"bookstore-identity", "bookstore", 30};
        struct auth_principal p;
        const char *reason = NULL;
        /* fresh key per run: nothing in a corpus can carry a valid signature */
        if (auth_jwt_verify(keys, &params, token, 1800000000, &p, &reason) == 0 || !reason)
                abort();
        free(token);
        return 0;
}
