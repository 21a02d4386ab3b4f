/* Input checks protobuf-c does not make: nesting depth (its unpacker
 * recurses without limit, so a deeply nested message could exhaust a
 * worker's stack), NUL bytes in string fields (unpacked to C strings, they
 * would silently cut the value: "pw\0x" stored as "pw") and UTF-8. */
#include "rpc-int.h"

#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
                if (*p >= end)
                        return false;
                uint8_t b = *(*p)++;
                v |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

/* Appends ".name" (or "name" at the root) to path; returns the old length. */
static size_t path_push(char *path, size_t cap, const char *name)
{
        size_t old = strlen(path);
        snprintf(path + old, cap - old, "%s%s", old ? "." : "", name);
        return old;
}

static int check_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
                      int depth, int max_depth, char *path, size_t cap)
{
        if (depth > max_depth)
                return RPC_WIRE_MALFORMED;
        const uint8_t *end = p + len;
        while (p < end) {
                uint64_t key, v;
                if (!read_varint(&p, end, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
                        return RPC_WIRE_MALFORMED;
                switch (key & 7) {
                case 0: /* varint */
                        if (!read_varint(&p, end, &v))
                                return RPC_WIRE_MALFORMED;
                        break;
                case 1: /* fixed64 */
                        if (end - p < 8)
                                return RPC_WIRE_MALFORMED;
                        p += 8;
                        break;
                case 5: /* fixed32 */
                        if (end - p < 4)
                                return RPC_WIRE_MALFORMED;
                        p += 4;
                        break;
                case 2: { /* length-delimited */
                        if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                                return RPC_WIRE_MALFORMED;
                        const ProtobufCFieldDescriptor *f =
                                protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3));
                        int r = 0;
                        if (f && (f->type == PROTOBUF_C_TYPE_MESSAGE ||
                                  f->type == PROTOBUF_C_TYPE_STRING)) {
                                size_t old = path_push(path, cap, f->name);
                                if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                                        r = check_wire(f->descriptor, p, (size_t)v, depth + 1,
                                                       max_depth, path, cap);
                                else if (memchr(p, 0, (size_t)v)) /* C strings would cut it */
                                        r = RPC_WIRE_NUL;
                                if (r < 0)
                                        return r;
                                path[old] = '\0';
                        }
                        p += v;
                        break;
                }
                default: /* groups are not proto3 */
                        return RPC_WIRE_MALFORMED;
                }
        }
        return 0;
}

int rpc_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   int max_depth, char *path, size_t cap)
{
        path[0] = '\0';
        return check_wire(desc, data, len, 0, max_depth, path, cap);
}

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                return true;
        uint32_t which = *(const uint32_t *)((const char *)m + f->quantifier_offset);
        return which == f->id;
}

static bool check_utf8(const ProtobufCMessage *m, char *path, size_t cap)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
                        continue;
                if (!field_present(m, f))
                        continue;
                const char *member = (const char *)m + f->offset;
                size_t n = 1;
                void *const *values = (void *const *)member;
                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        n = *(const size_t *)((const char *)m + f->quantifier_offset);
                        values = *(void *const *const *)member;
                }
                size_t old = path_push(path, cap, f->name);
                for (size_t k = 0; k < n; k++) {
                        const void *v = values[k];
                        if (!v)
                                continue;
                        bool ok = f->type == PROTOBUF_C_TYPE_STRING ? utf8_valid(v, strlen(v))
                                                                    : check_utf8(v, path, cap);
                        if (!ok)
                                return false;
                }
                path[old] = '\0';
        }
        return true;
}

const char *rpc_find_invalid_utf8(const ProtobufCMessage *msg, char *buf, size_t len)
{
        buf[0] = '\0';
        return check_utf8(msg, buf, len) ? NULL : buf;
}

int rpc_request_decode(const struct rpc_server_config *cfg, size_t max_bytes,
                       const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *allocator,
                       const bool *alloc_failed, const uint8_t *data, size_t len,
                       ProtobufCMessage **ret_msg, char *why, size_t why_len)
{
        if (len > max_bytes) {
                snprintf(why, why_len, "request message is %zu bytes; the limit is %zu", len,
                         max_bytes);
                return RPC_RESOURCE_EXHAUSTED;
        }
        char path[256];
        int wire = rpc_wire_check(desc, data, len, cfg->max_nesting_depth, path, sizeof(path));
        if (wire == RPC_WIRE_NUL) {
                snprintf(why, why_len,
                         "field %s contains a NUL character, which no text field may hold", path);
                return RPC_INVALID_ARGUMENT;
        }
        if (wire < 0) {
                snprintf(why, why_len,
                         "request is not a valid %s (malformed, or nested deeper than %d)",
                         desc->name, cfg->max_nesting_depth);
                return RPC_INVALID_ARGUMENT;
        }
        ProtobufCMessage *msg = protobuf_c_message_unpack(desc, allocator, len, data);
        if (!msg) {
                if (*alloc_failed)
                        snprintf(why, why_len, "request needs more than %zu bytes of memory",
                                 cfg->arena_max_bytes);
                else
                        snprintf(why, why_len, "request could not be decoded as %s", desc->name);
                return *alloc_failed ? RPC_RESOURCE_EXHAUSTED : RPC_INVALID_ARGUMENT;
        }
        const char *bad = rpc_find_invalid_utf8(msg, path, sizeof(path));
        if (bad) {
                snprintf(why, why_len, "field %s is not valid UTF-8", bad);
                return RPC_INVALID_ARGUMENT; /* msg lives in the allocator's arena */
        }
        *ret_msg = msg;
        return RPC_OK;
}
