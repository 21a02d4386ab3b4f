/* See gateway-rules.h. */
#include "gateway-rules.h"

#include <string.h>

int gateway_http_status(int code)
{
        static const int http[] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                                   400, 409, 400, 501, 500, 503, 500, 401};
        return code >= 0 && code < (int)(sizeof(http) / sizeof(http[0])) ? http[code] : 500;
}

bool gateway_origin_allowed(const char *allowed, const char *origin)
{
        if (!allowed || !*allowed || !origin || !*origin)
                return false;
        if (!strcmp(allowed, "*"))
                return true;
        size_t n = strlen(origin);
        for (const char *p = allowed; *p;) {
                while (*p == ' ' || *p == ',')
                        p++;
                size_t len = strcspn(p, ", ");
                if (len == n && !strncmp(p, origin, n))
                        return true;
                p += len;
        }
        return false;
}
