/* The shape of an id, the same in every service: 1 to max_len bytes of
 * printable ASCII without spaces (0x21-0x7e). Ids are opaque, but the stores
 * keep them in ASCII columns and in keys ("<saga>:<step>"), so anything else
 * -- other scripts, emoji, spaces, control characters, overlong values -- is
 * refused before it reaches SQL, as INVALID_ARGUMENT or NOT_FOUND. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

bool id_valid(const char *id, size_t max_len);
