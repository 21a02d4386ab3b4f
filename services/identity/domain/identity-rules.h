/* Identity rules: pure functions on plain data (no I/O), shared by the use
 * cases and tested on their own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { IDENTITY_MAX_ADDRESSES = 3, IDENTITY_EMAIL_MAX = 254, IDENTITY_NAME_MAX_CHARS = 100 };

/* Trims, lower-cases and validates; IDE_OK with out filled (out_len >= 255). */
int identity_normalize_email(const char *in, char *out, size_t out_len);
/* 10..128 characters (UTF-8 code points), a letter and a non-letter. */
int identity_check_password(const char *password);
/* Trims; 1..100 characters, no control characters. */
int identity_normalize_display_name(const char *in, char *out, size_t out_len);

/* Roles: libs/core's ROLE_* bits, with role_name and role_parse. */
#include "core/roles.h"

struct identity_address {
        char id[37];
        char recipient[201], line1[201], line2[201], city[101], postal_code[21];
        char country_code[3];
};
/* Required fields present, lengths sane, country code two letters (upper-cased). */
int identity_check_address(struct identity_address *a);

/* What a presented refresh token allows. */
enum identity_refresh_state { REFRESH_ACTIVE, REFRESH_ROTATED, REFRESH_REVOKED };
enum identity_refresh_decision {
        REFRESH_ROTATE,         /* issue a new pair, retire this token */
        REFRESH_REUSE_DETECTED, /* revoke the whole family */
        REFRESH_REFUSE,
};
enum identity_refresh_decision identity_refresh_decide(enum identity_refresh_state state,
                                                       int64_t expires_at, int64_t now);

/* Login throttling by failures (OWASP's authentication guidance): the first
 * `free` failures cost nothing; after them each attempt waits base_ms after
 * the last failure, doubling with every further failure up to max_ms. */
struct identity_throttle {
        int64_t free, base_ms, max_ms;
};
/* How long from now_ms until the next attempt may be checked; 0: now. */
int64_t identity_login_wait_ms(const struct identity_throttle *t, int64_t failures,
                               int64_t last_failure_ms, int64_t now_ms);
