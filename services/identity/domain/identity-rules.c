/* Identity rules; see identity-rules.h. Pure: no I/O, no allocation. */
#include "core/errors.h"
#include "identity-rules.h"

#include "core/utf8.h"
#include "identity-errors.h"

#include <ctype.h>
#include <string.h>

#define ROW(code, kind, msg) [code - IDE_FIRST] = {kind, msg},
ERROR_TABLE(identity, IDE_FIRST, IDENTITY_ERRORS(ROW))
#undef ROW

/* [start, end) of s without surrounding ASCII whitespace */
static void trim(const char *s, const char **start, size_t *len)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
                n--;
        *start = s;
        *len = n;
}

static bool label_ok(const char *s, size_t n)
{
        if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                        return false;
        return true;
}

int identity_normalize_email(const char *in, char *out, size_t out_len)
{
        const char *s;
        size_t n;
        trim(in, &s, &n);
        if (n < 3 || n > IDENTITY_EMAIL_MAX || n >= out_len)
                return IDE_EMAIL_INVALID;
        const char *at = memchr(s, '@', n);
        if (!at || memchr(at + 1, '@', n - (size_t)(at + 1 - s)))
                return IDE_EMAIL_INVALID;
        size_t local = (size_t)(at - s), domain = n - local - 1;
        if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
                return IDE_EMAIL_INVALID;
        for (size_t i = 0; i < local; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!isalnum(c) && !strchr(".!#$%&'*+/=?^_`{|}~-", c))
                        return IDE_EMAIL_INVALID;
                if (c == '.' && s[i + 1] == '.')
                        return IDE_EMAIL_INVALID;
        }
        /* domain: at least two labels */
        const char *d = at + 1, *end = at + 1 + domain;
        int labels = 0;
        while (d < end) {
                const char *dot = memchr(d, '.', (size_t)(end - d));
                size_t len = dot ? (size_t)(dot - d) : (size_t)(end - d);
                if (!label_ok(d, len))
                        return IDE_EMAIL_INVALID;
                labels++;
                d += len + (dot ? 1 : 0);
                if (dot && d == end)
                        return IDE_EMAIL_INVALID;
        }
        if (labels < 2)
                return IDE_EMAIL_INVALID;
        for (size_t i = 0; i < n; i++)
                out[i] = (char)tolower((unsigned char)s[i]);
        out[n] = '\0';
        return IDE_OK;
}

/* Code points in a valid UTF-8 string. */
static size_t utf8_chars(const char *s, size_t n)
{
        size_t chars = 0;
        for (size_t i = 0; i < n; i++)
                chars += ((unsigned char)s[i] & 0xc0) != 0x80;
        return chars;
}

int identity_check_password(const char *password)
{
        size_t n = strlen(password);
        if (!utf8_valid(password, n))
                return IDE_PASSWORD_WEAK;
        size_t chars = utf8_chars(password, n);
        if (chars < 10 || chars > 128)
                return IDE_PASSWORD_WEAK;
        bool letter = false, other = false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)password[i];
                if (isalpha(c))
                        letter = true;
                else
                        other = true; /* digits, symbols and non-ASCII all count */
        }
        return letter && other ? IDE_OK : IDE_PASSWORD_WEAK;
}

int identity_normalize_display_name(const char *in, char *out, size_t out_len)
{
        const char *s;
        size_t n;
        trim(in, &s, &n);
        if (n == 0 || n >= out_len || !utf8_valid(s, n) ||
            utf8_chars(s, n) > IDENTITY_NAME_MAX_CHARS)
                return IDE_DISPLAY_NAME_INVALID;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return IDE_DISPLAY_NAME_INVALID;
        memcpy(out, s, n);
        out[n] = '\0';
        return IDE_OK;
}

static bool field_ok(const char *s, bool required)
{
        if (!*s)
                return !required;
        for (size_t i = 0; s[i]; i++)
                if ((unsigned char)s[i] < 0x20)
                        return false;
        return true;
}

int identity_check_address(struct identity_address *a)
{
        if (!field_ok(a->recipient, true) || !field_ok(a->line1, true) ||
            !field_ok(a->line2, false) || !field_ok(a->city, true) ||
            !field_ok(a->postal_code, true) || !isalpha((unsigned char)a->country_code[0]) ||
            !isalpha((unsigned char)a->country_code[1]) || a->country_code[2])
                return IDE_ADDRESS_INVALID;
        a->country_code[0] = (char)toupper((unsigned char)a->country_code[0]);
        a->country_code[1] = (char)toupper((unsigned char)a->country_code[1]);
        return IDE_OK;
}

enum identity_refresh_decision identity_refresh_decide(enum identity_refresh_state state,
                                                       int64_t expires_at, int64_t now)
{
        if (state == REFRESH_ROTATED)
                return REFRESH_REUSE_DETECTED; /* someone kept an old token: assume theft */
        if (state == REFRESH_REVOKED || now >= expires_at)
                return REFRESH_REFUSE;
        return REFRESH_ROTATE;
}

int64_t identity_login_wait_ms(const struct identity_throttle *t, int64_t failures,
                               int64_t last_failure_ms, int64_t now_ms)
{
        if (failures < t->free)
                return 0;
        int64_t delay = t->base_ms;
        for (int64_t i = t->free; i < failures && delay < t->max_ms; i++)
                delay *= 2;
        if (delay > t->max_ms)
                delay = t->max_ms;
        int64_t left = last_failure_ms + delay - now_ms;
        return left > 0 ? left : 0;
}
