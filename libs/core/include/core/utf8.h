/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
 * Pure functions, thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);
/* How many bytes of s are valid UTF-8 before the first that is not (len: all). */
size_t utf8_valid_prefix(const char *s, size_t len);
/* Makes the NUL-terminated s valid UTF-8 in place: each byte that does not
 * start a valid sequence becomes '?', and a sequence cut short at the end
 * (a message truncated into a fixed buffer) is dropped. Text from outside
 * (a peer's error message) goes through this before it is stored or sent
 * on, so it always encodes as JSON or a proto string. */
void utf8_sanitize(char *s);
/* Text a person wrote (a title, a review): valid UTF-8 of min..max
 * characters (code points) with no control characters, except \n and \t
 * when allow_newlines. */
bool utf8_text_ok(const char *s, size_t min_chars, size_t max_chars, bool allow_newlines);
/* A reason kept in an audit trail and logged: 1 to max_bytes bytes of
 * UTF-8 on one line (no control characters). */
bool utf8_line_ok(const char *s, size_t max_bytes);
