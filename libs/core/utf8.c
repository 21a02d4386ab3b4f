/* UTF-8 validation; see core/utf8.h. */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

/* The length of the valid sequence at p (at most `left` bytes), 0 if none. */
static size_t sequence_len(const uint8_t *p, size_t left)
{
        uint8_t c = *p;
        if (c < 0x80)
                return 1;
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
                n = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
                n = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
                n = 4, cp = c & 0x07, min = 0x10000;
        } else {
                return 0;
        }
        if (left < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
        const uint8_t *p = (const uint8_t *)s, *end = p + len;
        while (p < end) {
                size_t n = sequence_len(p, (size_t)(end - p));
                if (!n)
                        break;
                p += n;
        }
        return (size_t)(p - (const uint8_t *)s);
}

bool utf8_valid(const char *s, size_t len)
{
        const uint8_t *p = (const uint8_t *)s, *end = p + len;
        while (p < end) {
                size_t n = sequence_len(p, (size_t)(end - p));
                if (!n)
                        return false;
                p += n;
        }
        return true;
}

/* A lead byte whose sequence needs more bytes than are left: a cut. */
static bool cut_short(const uint8_t *p, size_t left)
{
        size_t need = (*p & 0xe0) == 0xc0   ? 2
                      : (*p & 0xf0) == 0xe0 ? 3
                      : (*p & 0xf8) == 0xf0 ? 4
                                            : 0;
        if (need <= left)
                return false;
        for (size_t i = 1; i < left; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return false;
        return true;
}

void utf8_sanitize(char *s)
{
        uint8_t *p = (uint8_t *)s;
        size_t left = strlen(s);
        while (left) {
                size_t n = sequence_len(p, left);
                if (n) {
                        p += n, left -= n;
                        continue;
                }
                if (cut_short(p, left)) {
                        *p = '\0';
                        return;
                }
                *p++ = '?', left--;
        }
}

static size_t code_points(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xc0) != 0x80;
        return n;
}

bool utf8_text_ok(const char *s, size_t min_chars, size_t max_chars, bool allow_newlines)
{
        size_t len = s ? strlen(s) : 0;
        if (!s || !utf8_valid(s, len))
                return false;
        size_t chars = code_points(s);
        if (chars < min_chars || chars > max_chars)
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\t'))) || c == 0x7f)
                        return false;
        }
        return true;
}

bool utf8_line_ok(const char *s, size_t max_bytes)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > max_bytes || !utf8_valid(s, n))
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
                        return false;
        return true;
}
