/* Domain error tables. Each service lists its expected outcomes once (an
 * X-macro of code, kind, message) and builds an array indexed by
 * code - first; error_find looks a code up. Pure, thread-safe. */
#pragma once

#include <stddef.h>

struct error_entry {
        int kind;            /* the service's enum, mapped to a gRPC status by its adapter */
        const char *message; /* NULL in unused slots */
};

/* The entry for code, or NULL when code is not in the table. */
const struct error_entry *error_find(const struct error_entry *table, size_t n, int first,
                                     int code);
