/* libs/peers: calls to another bookstore service that several services'
 * adapters make the same way. Each adapter still maps the answer into its
 * own domain types. */
#pragma once

#include "bookstore/common/v1/common.pb-c.h"
#include "rpc/client.h"

/* The caller's saved address address_id, asked from identity
 * (ListAddresses) with the caller's own authorization. On 0, *ret points
 * into *resp, which the caller frees with protobuf_c_message_free_unpacked.
 * -ENOENT when the caller has no address with that id; the rpc client's
 * errors otherwise (nothing to free then). */
int peers_identity_saved_address(struct rpc_client *client, const char *identity_target,
                                 const char *authorization, int timeout_ms, const char *address_id,
                                 ProtobufCMessage **resp,
                                 const Bookstore__Common__V1__Address **ret);
