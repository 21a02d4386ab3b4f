/* The identity service's expected outcomes: one X-macro table with a code,
 * a kind (which the gRPC adapter maps to a status) and a message a person can
 * act on. Infrastructure failures are negative errno values, never listed here. */
#pragma once

enum identity_error_kind {
        IDK_INVALID, /* bad input */
        IDK_NOT_FOUND,
        IDK_CONFLICT,     /* already exists */
        IDK_PRECONDITION, /* state does not allow it */
        IDK_UNAUTHENTICATED,
        IDK_DENIED,
        IDK_EXHAUSTED, /* rate limited */
};

#define IDENTITY_ERRORS(X)                                                                         \
        X(IDE_EMAIL_INVALID, IDK_INVALID, "email must look like name@example.com")                 \
        X(IDE_PASSWORD_WEAK, IDK_INVALID,                                                          \
          "password must be 10 to 128 characters with at least one letter and one other "          \
          "character")                                                                             \
        X(IDE_DISPLAY_NAME_INVALID, IDK_INVALID,                                                   \
          "display name must be 1 to 100 characters without control characters")                   \
        X(IDE_ROLE_INVALID, IDK_INVALID, "role must be ROLE_SELLER or ROLE_ADMIN")                 \
        X(IDE_ADDRESS_INVALID, IDK_INVALID,                                                        \
          "address needs recipient, line1, city, postal_code and a two-letter country_code")       \
        X(IDE_PAGE_TOKEN_INVALID, IDK_INVALID, "page_token is not one this service issued")        \
        X(IDE_EMAIL_TAKEN, IDK_CONFLICT, "an account with this email already exists")              \
        X(IDE_BAD_CREDENTIALS, IDK_UNAUTHENTICATED, "wrong email or password")                     \
        X(IDE_ACCOUNT_DISABLED, IDK_UNAUTHENTICATED, "this account is disabled")                   \
        X(IDE_REFRESH_INVALID, IDK_UNAUTHENTICATED, "refresh token is invalid or expired")         \
        X(IDE_REFRESH_REUSED, IDK_UNAUTHENTICATED,                                                 \
          "refresh token was already used; every session of this login was revoked")               \
        X(IDE_SERVICE_CREDENTIALS, IDK_UNAUTHENTICATED, "unknown service or wrong client secret")  \
        X(IDE_USER_NOT_FOUND, IDK_NOT_FOUND, "no such user")                                       \
        X(IDE_ADDRESS_NOT_FOUND, IDK_NOT_FOUND, "no such address")                                 \
        X(IDE_ADDRESS_LIMIT, IDK_PRECONDITION,                                                     \
          "at most 3 addresses per account: remove one first")                                     \
        X(IDE_RATE_LIMITED, IDK_EXHAUSTED,                                                         \
          "too many login attempts from your address; wait a minute and retry")                    \
        X(IDE_REGISTER_LIMITED, IDK_EXHAUSTED,                                                     \
          "too many registrations from your address; wait a minute and retry")                     \
        X(IDE_HASHING_BUSY, IDK_EXHAUSTED,                                                         \
          "too many password checks at once; retry in a few seconds")                              \
        X(IDE_LOGIN_DELAYED, IDK_EXHAUSTED,                                                        \
          "too many failed logins for this account; wait before you try again")

enum identity_error {
        IDE_OK = 0,
        IDE_FIRST = 1000, /* positive and clear of errno values */
#define IDENTITY_ENUM(code, kind, msg) code,
        IDENTITY_ERRORS(IDENTITY_ENUM)
#undef IDENTITY_ENUM
};

/* NULL for codes outside the table. */
const char *identity_error_message(int code);
int identity_error_kind(int code, enum identity_error_kind *ret_kind);
