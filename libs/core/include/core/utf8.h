/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
 * Pure function, thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);
