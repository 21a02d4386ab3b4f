/* Domain error tables; see core/errors.h. */
#include "core/errors.h"

const struct error_entry *error_find(const struct error_entry *table, size_t n, int first, int code)
{
        if (code <= first || (size_t)(code - first) >= n)
                return NULL;
        const struct error_entry *e = &table[code - first];
        return e->message ? e : NULL;
}
