/* See peers/identity.h. */
#include "peers/identity.h"

#include "bookstore/identity/v1/identity.pb-c.h"

#include <errno.h>
#include <string.h>

int peers_identity_saved_address(struct rpc_client *client, const char *identity_target,
                                 const char *authorization, int timeout_ms, const char *address_id,
                                 ProtobufCMessage **resp,
                                 const Bookstore__Common__V1__Address **ret)
{
        Bookstore__Identity__V1__ListAddressesRequest req;
        bookstore__identity__v1__list_addresses_request__init(&req);
        int r = rpc_client_unary_as(
                client, identity_target, "/bookstore.identity.v1.IdentityService/ListAddresses",
                &req.base, &bookstore__identity__v1__list_addresses_response__descriptor,
                authorization, timeout_ms, resp);
        if (r < 0)
                return r;
        const Bookstore__Identity__V1__ListAddressesResponse *list = (const void *)*resp;
        for (size_t i = 0; i < list->n_addresses; i++)
                if (strcmp(list->addresses[i]->id, address_id) == 0) {
                        *ret = list->addresses[i];
                        return 0;
                }
        protobuf_c_message_free_unpacked(*resp, NULL);
        *resp = NULL;
        return -ENOENT;
}
