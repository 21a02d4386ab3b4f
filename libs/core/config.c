/* Environment-variable configuration; see core/config.h. */
#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env_value(const char *name)
{
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

bool cfg_is_set(const char *name)
{
        return env_value(name) != NULL;
}

static int fail(struct cfg_error *err, const char *name, const char *expected, const char *got)
{
        snprintf(err->message, sizeof(err->message), "%s: expected %s, got '%.64s'", name, expected,
                 got);
        return -EINVAL;
}

int cfg_int(const char *name, long def, long min, long max, long *ret, struct cfg_error *err)
{
        const char *v = env_value(name);
        if (!v) {
                *ret = def;
                return 0;
        }
        char expected[96];
        snprintf(expected, sizeof(expected), "an integer from %ld to %ld", min, max);
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < min || n > max)
                return fail(err, name, expected, v);
        *ret = n;
        return 0;
}

int cfg_bool(const char *name, bool def, bool *ret, struct cfg_error *err)
{
        const char *v = env_value(name);
        if (!v) {
                *ret = def;
                return 0;
        }
        static const char *const yes[] = {"1", "true", "yes", "on"};
        static const char *const no[] = {"0", "false", "no", "off"};
        for (size_t i = 0; i < 4; i++) {
                if (!strcasecmp(v, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (!strcasecmp(v, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return fail(err, name, "true/false, yes/no, on/off or 1/0", v);
}

int cfg_string(const char *name, const char *def, const char **ret, struct cfg_error *err)
{
        const char *v = env_value(name);
        *ret = v ? v : def;
        return 0;
}

int cfg_size(const char *name, size_t def, size_t min, size_t max, size_t *ret,
             struct cfg_error *err)
{
        const char *v = env_value(name);
        if (!v) {
                *ret = def;
                return 0;
        }
        char expected[128];
        snprintf(expected, sizeof(expected),
                 "a size from %zu to %zu bytes (suffix K, M or G allowed)", min, max);
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || end == v || *v == '-')
                return fail(err, name, expected, v);
        unsigned shift = 0;
        if (*end == 'K' || *end == 'k')
                shift = 10;
        else if (*end == 'M' || *end == 'm')
                shift = 20;
        else if (*end == 'G' || *end == 'g')
                shift = 30;
        if (shift)
                end++;
        if (*end || (n << shift) >> shift != n || (n << shift) > SIZE_MAX)
                return fail(err, name, expected, v);
        n <<= shift;
        if (n < min || n > max)
                return fail(err, name, expected, v);
        *ret = (size_t)n;
        return 0;
}
