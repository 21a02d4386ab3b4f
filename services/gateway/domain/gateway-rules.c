/* See gateway-rules.h. */
#include "gateway-rules.h"

#include "core/utf8.h"

#include <stdio.h>

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

/* The name of the JSON member whose value holds byte `at` of json: the last
 * `"name":` before it. "" when there is none. */
static void field_before(const char *json, size_t at, char *out, size_t len)
{
        out[0] = '\0';
        for (size_t i = at; i-- > 0;) {
                if (json[i] != ':')
                        continue;
                size_t end = i;
                while (end > 0 && (json[end - 1] == ' ' || json[end - 1] == '\t'))
                        end--;
                if (end == 0 || json[end - 1] != '"')
                        continue;
                size_t start = end - 1;
                while (start > 0 && json[start - 1] != '"')
                        start--;
                if (start == 0)
                        return;
                size_t n = end - 1 - start;
                if (utf8_valid(json + start, n))
                        snprintf(out, len, "%.*s", (int)(n < 64 ? n : 64), json + start);
                return;
        }
}

bool gateway_body_utf8(const char *json, size_t len, char *message, size_t message_len)
{
        size_t ok = json ? utf8_valid_prefix(json, len) : len;
        if (ok == len)
                return true;
        char field[80];
        field_before(json, ok, field, sizeof(field));
        if (field[0])
                snprintf(message, message_len,
                         "the JSON body is not valid UTF-8: byte %zu, in the value of \"%s\"; send "
                         "text as UTF-8",
                         ok, field);
        else
                snprintf(message, message_len,
                         "the JSON body is not valid UTF-8 (byte %zu); send text as UTF-8", ok);
        return false;
}
