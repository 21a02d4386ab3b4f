/* Path templates and the gateway's rules: parsing the templates the
 * contract uses (and refusing the rest), matching with variables and verbs,
 * percent-decoding, the HTTP status of each gRPC code, CORS origins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/status.h"
#include "gateway-rules.h"
#include "route.h"

#include <string.h>

static struct route_template parse(const char *path)
{
        struct route_template t;
        char err[128];
        assert_int_equal(route_parse(path, &t, err, sizeof(err)), 0);
        return t;
}

static void templates_parse_and_bad_ones_are_refused(void **state)
{
        (void)state;
        struct route_template t = parse("/v1/books/{book_id}/reviews");
        assert_int_equal(t.n_segments, 4);
        assert_int_equal(t.n_literals, 3);
        assert_int_equal(t.segments[2].kind, ROUTE_VARIABLE);
        assert_string_equal(t.segments[2].text, "book_id");
        t = parse("/v1/orders/{order_id}:cancel");
        assert_string_equal(t.verb, "cancel");
        assert_int_equal(t.n_segments, 3);
        assert_int_equal(t.n_literals, 3); /* more specific than /v1/orders/{order_id} */
        t = parse("/v1/divergences:reconcile");
        assert_string_equal(t.verb, "reconcile");
        t = parse("/v1/books/{book_id=*}");
        assert_string_equal(t.segments[2].text, "book_id");
        const char *bad[] = {
                "v1/books", "/v1/{name=shelves/*}", "/v1/{unclosed", "/v1/books/", "/v1//books",
                "/v1/*",    "/v1/books:",           "/v1/{}",        "/v1/{a}x"};
        char err[128];
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(route_parse(bad[i], &t, err, sizeof(err)), -1);
}

static void paths_match_with_their_variables_and_verbs(void **state)
{
        (void)state;
        struct route_binding b[ROUTE_MAX_VARS];
        size_t n;
        struct route_template t = parse("/v1/books/{book_id}/reviews");
        assert_true(route_match(&t, "/v1/books/b-1/reviews", b, &n));
        assert_int_equal(n, 1);
        assert_string_equal(b[0].field, "book_id");
        assert_string_equal(b[0].value, "b-1");
        assert_true(route_match(&t, "/v1/books/a%2Fb%20c/reviews", b, &n)); /* one segment */
        assert_string_equal(b[0].value, "a/b c");
        assert_false(route_match(&t, "/v1/books/b-1", b, &n));
        assert_false(route_match(&t, "/v1/books/b-1/reviews/x", b, &n));
        assert_false(route_match(&t, "/v1/books//reviews", b, &n));
        assert_false(route_match(&t, "/v1/books/%zz/reviews", b, &n));
        assert_false(route_match(&t, "/v1/books/a%00b/reviews", b, &n));
        t = parse("/v1/orders/{order_id}:cancel");
        assert_true(route_match(&t, "/v1/orders/o-7:cancel", b, &n));
        assert_string_equal(b[0].value, "o-7");
        assert_false(route_match(&t, "/v1/orders/o-7:refuse", b, &n));
        assert_false(route_match(&t, "/v1/orders/o-7", b, &n));
        assert_false(route_match(&t, "/v1/orders/:cancel", b, &n));
        t = parse("/v1/orders/{order_id}");
        assert_false(route_match(&t, "/v1/orders/o-7:cancel/x", b, &n));
        assert_true(route_match(&t, "/v1/orders/o:7", b, &n)); /* no verb: ':' is data */
        t = parse("/v1/users/me");
        assert_true(route_match(&t, "/v1/users/me", b, &n));
        assert_int_equal(n, 0);
        assert_false(route_match(&t, "/v1/users/you", b, &n));
}

static void percent_decoding(void **state)
{
        (void)state;
        char out[16];
        assert_int_equal(route_percent_decode("a+b%41", 6, true, out, sizeof(out)), 0);
        assert_string_equal(out, "a bA");
        assert_int_equal(route_percent_decode("a+b", 3, false, out, sizeof(out)), 0);
        assert_string_equal(out, "a+b");
        assert_int_equal(route_percent_decode("%4", 2, false, out, sizeof(out)), -1);
        assert_int_equal(route_percent_decode("%", 1, false, out, sizeof(out)), -1);
        assert_int_equal(route_percent_decode("%g1", 3, false, out, sizeof(out)), -1);
        assert_int_equal(route_percent_decode("%00", 3, false, out, sizeof(out)), -1);
        assert_int_equal(route_percent_decode("0123456789abcdef", 16, false, out, sizeof(out)),
                         -1); /* does not fit */
}

static void grpc_codes_map_to_http_statuses(void **state)
{
        (void)state;
        const int want[17] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                              400, 409, 400, 501, 500, 503, 500, 401};
        for (int c = 0; c < 17; c++)
                assert_int_equal(gateway_http_status(c), want[c]);
        assert_int_equal(gateway_http_status(99), 500);
        assert_string_equal(grpc_status_name(3), "INVALID_ARGUMENT");
        assert_string_equal(grpc_status_name(16), "UNAUTHENTICATED");
        assert_string_equal(grpc_status_name(-1), "UNKNOWN");
}

static void cors_origins(void **state)
{
        (void)state;
        const char *list = "https://shop.example, http://localhost:8080";
        assert_true(gateway_origin_allowed(list, "https://shop.example"));
        assert_true(gateway_origin_allowed(list, "http://localhost:8080"));
        assert_false(gateway_origin_allowed(list, "https://shop.example.evil"));
        assert_false(gateway_origin_allowed(list, "https://shop"));
        assert_false(gateway_origin_allowed(list, NULL));
        assert_false(gateway_origin_allowed("", "https://shop.example"));
        assert_true(gateway_origin_allowed("*", "https://any.example"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(templates_parse_and_bad_ones_are_refused),
                cmocka_unit_test(paths_match_with_their_variables_and_verbs),
                cmocka_unit_test(percent_decoding),
                cmocka_unit_test(grpc_codes_map_to_http_statuses),
                cmocka_unit_test(cors_origins),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
