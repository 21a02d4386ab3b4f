/* Reply-building helpers; see rpc/pb.h. */
#include "rpc/pb.h"

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
