/* Small helpers over jansson shared by the adapters that read JSON. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* The string member `key` of o copied into out (cut to len), "" when absent
 * or not a string. */
void json_copy_string(const json_t *o, const char *key, char *out, size_t len);
