/* See route.h. */
#include "route.h"

#include <stdio.h>
#include <string.h>

static bool literal_ok(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '/' || s[i] == '{' || s[i] == '}' || s[i] == ':' || s[i] == '*' ||
                    (unsigned char)s[i] <= ' ')
                        return false;
        return true;
}

int route_parse(const char *path, struct route_template *ret, char *err, size_t err_len)
{
        memset(ret, 0, sizeof(*ret));
        if (!path || path[0] != '/') {
                snprintf(err, err_len, "a path template starts with '/'");
                return -1;
        }
        const char *p = path + 1;
        while (*p) {
                if (ret->n_segments == ROUTE_MAX_SEGMENTS) {
                        snprintf(err, err_len, "more than %d segments", ROUTE_MAX_SEGMENTS);
                        return -1;
                }
                size_t n;
                if (*p == '{') {
                        const char *close = strchr(p, '}');
                        if (!close) {
                                snprintf(err, err_len, "unclosed '{'");
                                return -1;
                        }
                        n = (size_t)(close - p - 1);
                        if (n >= 2 && !strncmp(close - 2, "=*", 2))
                                n -= 2; /* {field=*} is {field} */
                        if (n == 0 || n >= ROUTE_TEXT_MAX || memchr(p + 1, '=', n) ||
                            memchr(p + 1, '/', n)) {
                                snprintf(err, err_len,
                                         "only {field} and {field=*} variables are served");
                                return -1;
                        }
                        ret->segments[ret->n_segments].kind = ROUTE_VARIABLE;
                        memcpy(ret->segments[ret->n_segments].text, p + 1, n);
                        p = close + 1;
                } else {
                        n = strcspn(p, "/:");
                        if (!literal_ok(p, n) || n >= ROUTE_TEXT_MAX) {
                                snprintf(err, err_len, "a segment is a literal or {field}");
                                return -1;
                        }
                        ret->segments[ret->n_segments].kind = ROUTE_LITERAL;
                        memcpy(ret->segments[ret->n_segments].text, p, n);
                        ret->n_literals++;
                        p += n;
                }
                ret->n_segments++;
                if (*p == ':') {
                        size_t v = strlen(p + 1);
                        if (!literal_ok(p + 1, v) || v >= ROUTE_TEXT_MAX) {
                                snprintf(err, err_len, "a verb is a literal after ':'");
                                return -1;
                        }
                        memcpy(ret->verb, p + 1, v);
                        ret->n_literals++; /* /x/{id}:verb is more specific than /x/{id} */
                        return 0;
                }
                if (*p == '/')
                        p++;
                else if (*p) {
                        snprintf(err, err_len, "unexpected '%c'", *p);
                        return -1;
                }
                if (*p == '\0' && p[-1] == '/') {
                        snprintf(err, err_len, "a trailing '/'");
                        return -1;
                }
        }
        return 0;
}

static int hex(char c)
{
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
}

int route_percent_decode(const char *in, size_t n, bool plus_is_space, char *out, size_t out_len)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                char c = in[i];
                if (c == '%') {
                        if (i + 2 >= n)
                                return -1;
                        int h = hex(in[i + 1]), l = hex(in[i + 2]);
                        if (h < 0 || l < 0)
                                return -1;
                        c = (char)(h << 4 | l);
                        i += 2;
                } else if (c == '+' && plus_is_space) {
                        c = ' ';
                }
                if (c == '\0' || o + 1 >= out_len)
                        return -1;
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

bool route_match(const struct route_template *t, const char *path,
                 struct route_binding ret[ROUTE_MAX_VARS], size_t *ret_n)
{
        *ret_n = 0;
        if (path[0] != '/')
                return false;
        size_t len = strlen(path);
        if (t->verb[0]) { /* ".../last:verb" */
                size_t v = strlen(t->verb);
                if (len < v + 2 || path[len - v - 1] != ':' || strcmp(path + len - v, t->verb))
                        return false;
                len -= v + 1;
        }
        const char *p = path + 1, *end = path + len;
        for (size_t s = 0; s < t->n_segments; s++) {
                if (p > end)
                        return false;
                const char *slash = memchr(p, '/', (size_t)(end - p));
                const char *seg_end = slash ? slash : end;
                size_t n = (size_t)(seg_end - p);
                if (n == 0)
                        return false;
                if (t->segments[s].kind == ROUTE_LITERAL) {
                        if (strlen(t->segments[s].text) != n || memcmp(p, t->segments[s].text, n))
                                return false;
                } else {
                        if (*ret_n == ROUTE_MAX_VARS)
                                return false;
                        struct route_binding *b = &ret[(*ret_n)++];
                        snprintf(b->field, sizeof(b->field), "%s", t->segments[s].text);
                        if (route_percent_decode(p, n, false, b->value, sizeof(b->value)) < 0)
                                return false;
                }
                p = seg_end + 1;
                if (!slash && s + 1 < t->n_segments)
                        return false;
                if (slash && s + 1 == t->n_segments)
                        return false; /* more path than template */
        }
        return true;
}
