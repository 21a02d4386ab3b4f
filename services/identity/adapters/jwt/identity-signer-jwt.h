/* identity's token signer through libs/auth (ES256, the keyset's JWKS). */
#pragma once

#include "auth/auth.h"
#include "identity-outside.h"

struct identity_signer_jwt {
        const struct auth_keyset *keys;
        const struct auth_token_params *params;
};
struct identity_signer identity_signer_jwt(struct identity_signer_jwt *ctx);
