/* Helpers for gRPC adapters building protobuf-c replies in the call's arena. */
#pragma once

#include "google/protobuf/timestamp.pb-c.h"
#include "rpc/rpc.h"

/* A new, initialized message of `type` in the call's arena; NULL past the cap. */
void *rpc_new_message(struct rpc_call *call, const ProtobufCMessageDescriptor *type);

/* A Timestamp for unix seconds, in the call's arena. */
Google__Protobuf__Timestamp *rpc_new_timestamp(struct rpc_call *call, int64_t seconds);

/* Replies with a new `type` whose message field `field` is `value` (for the
 * many responses that wrap one message). RESOURCE_EXHAUSTED when value is
 * NULL (a failed allocation) or memory runs out. */
int rpc_reply_with(struct rpc_call *call, const ProtobufCMessageDescriptor *type, const char *field,
                   void *value, ProtobufCMessage **ret);

/* The listing filter (core/listing.h) of a request with the fields `page`
 * (PageRequest), `status` (an enum), `order_ids` (repeated string) and
 * `updated_since` (Timestamp), whatever its type; its ids point into msg.
 * prefix names the listing in page tokens. */
struct listing_filter;
int rpc_listing_request(const ProtobufCMessage *msg, char prefix, struct listing_filter *ret);
/* Answers a listing_filter_init refusal (enum listing_error) with
 * INVALID_ARGUMENT and what to send instead. */
int rpc_listing_refuse(struct rpc_call *call, int listing_error);
