/* Reply-building helpers; see rpc/pb.h. */
#include "rpc/pb.h"

#include "core/listing.h"

void *rpc_new_message(struct rpc_call *call, const ProtobufCMessageDescriptor *type)
{
        ProtobufCMessage *m = rpc_call_alloc(call, type->sizeof_message);
        if (m)
                protobuf_c_message_init(type, m);
        return m;
}

Google__Protobuf__Timestamp *rpc_new_timestamp(struct rpc_call *call, int64_t seconds)
{
        Google__Protobuf__Timestamp *t =
                rpc_new_message(call, &google__protobuf__timestamp__descriptor);
        if (t)
                t->seconds = seconds;
        return t;
}

int rpc_reply_with(struct rpc_call *call, const ProtobufCMessageDescriptor *type, const char *field,
                   void *value, ProtobufCMessage **ret)
{
        const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field_by_name(type, field);
        ProtobufCMessage *resp = value && f ? rpc_new_message(call, type) : NULL;
        if (!resp)
                return rpc_out_of_memory(call);
        *(void **)((char *)resp + f->offset) = value;
        *ret = resp;
        return RPC_OK;
}

static const void *field_at(const ProtobufCMessage *msg, const char *name,
                            const ProtobufCFieldDescriptor **ret_field)
{
        const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
        *ret_field = f;
        return f ? (const char *)msg + f->offset : NULL;
}

int rpc_listing_request(const ProtobufCMessage *msg, char prefix, struct listing_filter *ret)
{
        const ProtobufCFieldDescriptor *f;
        const void *page_at = field_at(msg, "page", &f);
        const ProtobufCMessage *page = page_at ? *(ProtobufCMessage *const *)page_at : NULL;
        int32_t size = 0;
        const char *token = "";
        if (page) {
                const int32_t *sz = field_at(page, "page_size", &f);
                const char *const *tok = field_at(page, "page_token", &f);
                size = sz ? *sz : 0;
                token = tok && *tok ? *tok : "";
        }
        const int *status = field_at(msg, "status", &f);
        const char *const *const *ids = field_at(msg, "order_ids", &f);
        const size_t *n_ids = f ? (const size_t *)((const char *)msg + f->quantifier_offset) : NULL;
        const void *since_at = field_at(msg, "updated_since", &f);
        const Google__Protobuf__Timestamp *since =
                since_at ? *(Google__Protobuf__Timestamp *const *)since_at : NULL;
        return listing_filter_init(ret, status ? *status : 0, ids ? *ids : NULL, n_ids ? *n_ids : 0,
                                   since ? since->seconds : 0, size, token, prefix);
}

int rpc_listing_refuse(struct rpc_call *call, int listing_error)
{
        switch ((enum listing_error)listing_error) {
        case LISTING_IDS_INVALID:
                return rpc_error(call, RPC_INVALID_ARGUMENT,
                                 "order_ids: at most 100, each 1 to 63 printable ASCII characters "
                                 "(no spaces)");
        case LISTING_TOKEN_INVALID:
                return rpc_error(call, RPC_INVALID_ARGUMENT,
                                 "page_token is not one this listing issued");
        case LISTING_SINCE_INVALID:
                return rpc_error(call, RPC_INVALID_ARGUMENT,
                                 "updated_since must not be before 1970-01-01");
        case LISTING_OK:
                break;
        }
        return rpc_error(call, RPC_INTERNAL, "listing refused for no reason");
}
