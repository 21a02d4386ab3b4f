/* JSON helpers; see core/json.h. */
#include "core/json.h"

#include <stdio.h>

void json_copy_string(const json_t *o, const char *key, char *out, size_t len)
{
        const char *v = json_string_value(json_object_get(o, key));
        snprintf(out, len, "%s", v ? v : "");
}
