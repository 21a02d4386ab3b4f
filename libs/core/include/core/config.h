/* Configuration from environment variables.
 *
 * Each getter returns 0 and sets *ret (the default when the variable is unset
 * or empty), or -EINVAL and writes a message that names the variable, what it
 * expects and what it got into err. Thread-safe as long as nobody calls
 * setenv() concurrently. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cfg_error {
        char message[256];
};

int cfg_int(const char *name, long def, long min, long max, long *ret, struct cfg_error *err);
int cfg_bool(const char *name, bool def, bool *ret, struct cfg_error *err);
/* *ret points into the environment or at def; never NULL unless def is. */
int cfg_string(const char *name, const char *def, const char **ret, struct cfg_error *err);
/* Whether the variable has a value (set and not empty), as the readers above see it. */
bool cfg_is_set(const char *name);
/* Sizes with an optional K/M/G suffix (powers of 1024). */
int cfg_size(const char *name, size_t def, size_t min, size_t max, size_t *ret,
             struct cfg_error *err);
