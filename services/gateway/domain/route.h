/* REST routes from google.api.http path templates: parsing a template
 * ("/v1/books/{book_id}/reviews", "/v1/orders/{order_id}:cancel") and
 * matching a request path against it, with the variables it binds. The
 * subset of the template grammar this API uses: literal segments, `{field}`
 * (one segment; `{field=*}` alike) and a trailing `:verb`. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum { ROUTE_MAX_SEGMENTS = 12, ROUTE_MAX_VARS = 4, ROUTE_TEXT_MAX = 64 };

enum route_segment_kind { ROUTE_LITERAL, ROUTE_VARIABLE };

struct route_template {
        struct {
                enum route_segment_kind kind;
                char text[ROUTE_TEXT_MAX]; /* the literal, or the variable's field path */
        } segments[ROUTE_MAX_SEGMENTS];
        size_t n_segments;
        char verb[ROUTE_TEXT_MAX]; /* after ':' in the last segment; "" when none */
        size_t n_literals;         /* how specific it is: more literals (a verb counts) win */
};

/* 0, or -1 with why in err (a template this gateway cannot serve). */
int route_parse(const char *path, struct route_template *ret, char *err, size_t err_len);

struct route_binding {
        char field[ROUTE_TEXT_MAX]; /* e.g. "book_id" */
        char value[256];            /* percent-decoded */
};

/* Whether path (without its query) matches t; on a match, the variables'
 * values. A value that does not fit or decodes to a NUL does not match. */
bool route_match(const struct route_template *t, const char *path,
                 struct route_binding ret[ROUTE_MAX_VARS], size_t *ret_n);

/* Decodes %XX escapes (and '+' as a space when plus_is_space, as in query
 * strings) of in[0..n) into out; -1 when the result does not fit or has a
 * NUL or a malformed escape. */
int route_percent_decode(const char *in, size_t n, bool plus_is_space, char *out, size_t out_len);
