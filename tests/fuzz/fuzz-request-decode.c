/* Fuzz target: the runtime's request checks on arbitrary bytes (wire
 * nesting, protobuf-c decoding into an arena, UTF-8 of every string field). */
#include "rpc-int.h"

#include "bookstore/testing/v1/testing.pb-c.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *alloc_cb(void *arena, size_t n)
{
        return arena_alloc(arena, n);
}

static void free_cb(void *arena, void *p)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const ProtobufCMessageDescriptor *d = &bookstore__testing__v1__echo_request__descriptor;
        char path[256];
        if (rpc_wire_check(d, data, size, 64, path, sizeof(path)) < 0)
                return 0;
        struct arena *a;
        if (arena_new(&a, 16 << 20) < 0)
                abort();
        ProtobufCAllocator alloc = {.alloc = alloc_cb, .free = free_cb, .allocator_data = a};
        ProtobufCMessage *m = protobuf_c_message_unpack(d, &alloc, size, data);
        if (m)
                rpc_find_invalid_utf8(m, path, sizeof(path));
        arena_free(a);
        return 0;
}
