/* Unit tests for the runtime's input checks: wire nesting depth and UTF-8 in
 * decoded messages, on the test service's messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rpc-int.h"

#include "bookstore/testing/v1/testing.pb-c.h"

#include <stdlib.h>
#include <string.h>

static size_t pack(const ProtobufCMessage *m, uint8_t **ret)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        *ret = malloc(n + 1);
        protobuf_c_message_pack(m, *ret);
        return n;
}

static void depth_is_measured_along_message_fields(void **state)
{
        Bookstore__Testing__V1__Nested levels[10];
        Bookstore__Testing__V1__Nested *children[10];
        for (int i = 0; i < 10; i++) {
                bookstore__testing__v1__nested__init(&levels[i]);
                children[i] = &levels[i];
                if (i > 0) {
                        levels[i - 1].n_children = 1;
                        levels[i - 1].children = &children[i];
                }
        }
        Bookstore__Testing__V1__EchoRequest req;
        bookstore__testing__v1__echo_request__init(&req);
        req.message = "m";
        req.nested = &levels[0];
        uint8_t *buf;
        size_t n = pack(&req.base, &buf);
        const ProtobufCMessageDescriptor *d = &bookstore__testing__v1__echo_request__descriptor;
        char path[128];
        assert_int_equal(rpc_wire_check(d, buf, n, 64, path, sizeof(path)), 0);
        assert_int_equal(rpc_wire_check(d, buf, n, 10, path, sizeof(path)), 0);
        assert_int_equal(rpc_wire_check(d, buf, n, 9, path, sizeof(path)), RPC_WIRE_MALFORMED);
        free(buf);
}

static void malformed_wire_bytes_are_rejected(void **state)
{
        const ProtobufCMessageDescriptor *d = &bookstore__testing__v1__echo_request__descriptor;
        const struct {
                const char *bytes;
                size_t len;
        } bad[] = {
                {"\x0a\x05"
                 "ab",
                 4},                                                  /* length past the end */
                {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11}, /* endless varint */
                {"\x0b", 1},                                          /* group start */
                {"\x00\x01", 2},                                      /* field number 0 */
                {"\x0d\x01\x02", 3},                                  /* truncated fixed32 */
        };
        char path[128];
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                assert_int_equal(rpc_wire_check(d, (const uint8_t *)bad[i].bytes, bad[i].len, 64,
                                                path, sizeof(path)),
                                 RPC_WIRE_MALFORMED);
        assert_int_equal(rpc_wire_check(d, (const uint8_t *)"", 0, 64, path, sizeof(path)), 0);
        /* unknown fields are skipped, not rejected */
        assert_int_equal(
                rpc_wire_check(d, (const uint8_t *)"\xf8\x01\x05", 3, 64, path, sizeof(path)), 0);
}

/* protobuf-c would unpack "ab\0cd" as the C string "ab": the wire check
 * finds the NUL first and names the field. Bytes made by hand (a C string
 * cannot be packed with a NUL in it). */
static void a_nul_in_a_string_field_is_found_with_its_path(void **state)
{
        const ProtobufCMessageDescriptor *d = &bookstore__testing__v1__echo_request__descriptor;
        char path[128];
        static const uint8_t in_message[] = {0x0a, 5, 'a', 'b', 0, 'c', 'd'};
        assert_int_equal(rpc_wire_check(d, in_message, sizeof(in_message), 64, path, sizeof(path)),
                         RPC_WIRE_NUL);
        assert_string_equal(path, "message");
        /* tags[1] = "x\0" */
        static const uint8_t in_tags[] = {0x1a, 1, 'a', 0x1a, 2, 'x', 0};
        assert_int_equal(rpc_wire_check(d, in_tags, sizeof(in_tags), 64, path, sizeof(path)),
                         RPC_WIRE_NUL);
        assert_string_equal(path, "tags");
        /* nested.children[0].note = "\0" after a clean nested.note */
        static const uint8_t deep[] = {0x22, 9, 0x0a, 2, 'o', 'k', 0x12, 3, 0x0a, 1, 0};
        assert_int_equal(rpc_wire_check(d, deep, sizeof(deep), 64, path, sizeof(path)),
                         RPC_WIRE_NUL);
        assert_string_equal(path, "nested.children.note");
        /* a clean message leaves no path behind */
        static const uint8_t clean[] = {0x0a, 2, 'o', 'k', 0x22, 4, 0x0a, 2, 'o', 'k'};
        assert_int_equal(rpc_wire_check(d, clean, sizeof(clean), 64, path, sizeof(path)), 0);
        assert_string_equal(path, "");
}

static void invalid_utf8_is_found_with_its_path(void **state)
{
        Bookstore__Testing__V1__Nested leaf, root;
        bookstore__testing__v1__nested__init(&leaf);
        bookstore__testing__v1__nested__init(&root);
        Bookstore__Testing__V1__Nested *kids[] = {&leaf};
        root.n_children = 1;
        root.children = kids;
        root.note = "fine ✓";
        leaf.note = "bad \xff";
        Bookstore__Testing__V1__EchoRequest req;
        bookstore__testing__v1__echo_request__init(&req);
        req.message = "ok";
        req.nested = &root;
        char path[128];
        const char *bad = rpc_find_invalid_utf8(&req.base, path, sizeof(path));
        assert_non_null(bad);
        assert_string_equal(bad, "nested.children.note");
        leaf.note = "good";
        char *tags[] = {"a", "\xc0\xaf"};
        req.n_tags = 2;
        req.tags = tags;
        assert_string_equal(rpc_find_invalid_utf8(&req.base, path, sizeof(path)), "tags");
        tags[1] = "b";
        assert_null(rpc_find_invalid_utf8(&req.base, path, sizeof(path)));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(depth_is_measured_along_message_fields),
                cmocka_unit_test(malformed_wire_bytes_are_rejected),
                cmocka_unit_test(invalid_utf8_is_found_with_its_path),
                cmocka_unit_test(a_nul_in_a_string_field_is_found_with_its_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
