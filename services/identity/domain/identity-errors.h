/* The identity service's expected outcomes: one X-macro table with a code,
 * a kind (which the gRPC adapter maps to a status) and a message a person can
 * act on. Infrastructure failures are negative errno values, never listed here. */
#pragma once

#include "core/errors.h"

#define IDENTITY_ERRORS(X)                                                                         \
        X(IDE_EMAIL_INVALID, ERROR_INVALID, "email must look like name@example.com")               \
        X(IDE_PASSWORD_WEAK, ERROR_INVALID,                                                        \
          "password must be 10 to 128 characters with at least one letter and one other "          \
          "character")                                                                             \
        X(IDE_DISPLAY_NAME_INVALID, ERROR_INVALID,                                                 \
          "display name must be 1 to 100 characters without control characters")                   \
        X(IDE_ROLE_INVALID, ERROR_INVALID, "role must be ROLE_SELLER or ROLE_ADMIN")               \
        X(IDE_ADDRESS_INVALID, ERROR_INVALID,                                                      \
          "address needs recipient, line1, city, postal_code and a two-letter country_code")       \
        X(IDE_PAGE_TOKEN_INVALID, ERROR_INVALID, "page_token is not one this service issued")      \
        X(IDE_EMAIL_TAKEN, ERROR_CONFLICT, "an account with this email already exists")            \
        X(IDE_BAD_CREDENTIALS, ERROR_UNAUTHENTICATED, "wrong email or password")                   \
        X(IDE_ACCOUNT_DISABLED, ERROR_UNAUTHENTICATED, "this account is disabled")                 \
        X(IDE_REFRESH_INVALID, ERROR_UNAUTHENTICATED, "refresh token is invalid or expired")       \
        X(IDE_REFRESH_REUSED, ERROR_UNAUTHENTICATED,                                               \
          "refresh token was already used; every session of this login was revoked")               \
        X(IDE_SERVICE_CREDENTIALS, ERROR_UNAUTHENTICATED,                                          \
          "unknown service or wrong client secret")                                                \
        X(IDE_USER_NOT_FOUND, ERROR_NOT_FOUND, "no such user")                                     \
        X(IDE_ADDRESS_NOT_FOUND, ERROR_NOT_FOUND, "no such address")                               \
        X(IDE_ADDRESS_LIMIT, ERROR_PRECONDITION,                                                   \
          "at most 3 addresses per account: remove one first")                                     \
        X(IDE_RATE_LIMITED, ERROR_EXHAUSTED,                                                       \
          "too many login attempts from your address; wait a minute and retry")                    \
        X(IDE_REGISTER_LIMITED, ERROR_EXHAUSTED,                                                   \
          "too many registrations from your address; wait a minute and retry")                     \
        X(IDE_HASHING_BUSY, ERROR_EXHAUSTED,                                                       \
          "too many password checks at once; retry in a few seconds")                              \
        X(IDE_LOGIN_DELAYED, ERROR_EXHAUSTED,                                                      \
          "too many failed logins for this account; wait before you try again")

enum identity_error {
        IDE_OK = 0,
        IDE_FIRST = 1000, /* positive and clear of errno values */
#define IDENTITY_ENUM(code, kind, msg) code,
        IDENTITY_ERRORS(IDENTITY_ENUM)
#undef IDENTITY_ENUM
};

/* NULL for codes outside the table. */
ERROR_TABLE_DECLARE(identity);
