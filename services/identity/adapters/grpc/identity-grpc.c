/* bookstore.identity.v1.IdentityService handlers: proto <-> domain mapping
 * only; every decision is in the use cases. */
#include "identity-grpc.h"

#include "core/forwarded.h"

#include "bookstore/identity/v1/identity.pb-c.h"
#include "core/log.h"
#include "rpc/pb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- outcomes -> status ------------------------------------------------ */

static int fail(struct rpc_call *call, int r)
{
        return rpc_fail(call, &identity_errors, r, NULL,
                        "a backing store is unavailable; retry shortly");
}

static Bookstore__Identity__V1__Role role_to_proto(unsigned role)
{
        switch (role) {
        case ROLE_CUSTOMER:
                return BOOKSTORE__IDENTITY__V1__ROLE__ROLE_CUSTOMER;
        case ROLE_SELLER:
                return BOOKSTORE__IDENTITY__V1__ROLE__ROLE_SELLER;
        case ROLE_ADMIN:
                return BOOKSTORE__IDENTITY__V1__ROLE__ROLE_ADMIN;
        case ROLE_SERVICE:
                return BOOKSTORE__IDENTITY__V1__ROLE__ROLE_SERVICE;
        default:
                return BOOKSTORE__IDENTITY__V1__ROLE__ROLE_UNSPECIFIED;
        }
}

/* The password hash never leaves this function's caller. */
static Bookstore__Identity__V1__User *user_to_proto(struct rpc_call *call,
                                                    const struct identity_user *u)
{
        Bookstore__Identity__V1__User *p =
                rpc_new_message(call, &bookstore__identity__v1__user__descriptor);
        if (!p)
                return NULL;
        p->id = rpc_call_strdup(call, u->id);
        p->email = rpc_call_strdup(call, u->email);
        p->display_name = rpc_call_strdup(call, u->display_name);
        p->role = role_to_proto(u->role);
        p->disabled = u->disabled;
        p->created_at = rpc_new_timestamp(call, u->created_at);
        return p; /* a field that could not be made: the call remembers it */
}

static Bookstore__Identity__V1__TokenPair *tokens_to_proto(struct rpc_call *call,
                                                           struct identity_tokens *t)
{
        Bookstore__Identity__V1__TokenPair *p =
                rpc_new_message(call, &bookstore__identity__v1__token_pair__descriptor);
        if (p) {
                p->access_token = rpc_call_strdup(call, t->access);
                p->access_token_expires_at = rpc_new_timestamp(call, t->access_expires_at);
                p->refresh_token = rpc_call_strdup(call, t->refresh);
                p->refresh_token_expires_at = rpc_new_timestamp(call, t->refresh_expires_at);
                p->token_type = "Bearer";
        }
        identity_tokens_clear(t);
        return p;
}

static struct identity_caller caller_of(struct rpc_call *call)
{
        const struct auth_principal *p = auth_principal_of(call); /* set by the guard */
        return (struct identity_caller){
                .user_id = p->subject, .role = p->role, .jti = p->jti, .expires_at = p->expires_at};
}

#define APP(call) ((struct identity_app *)rpc_call_service_ctx(call))

/* The client address: the connection's own, or a trusted proxy's word for
 * it (core/forwarded.h: the gateway's rule too). */
static const char *peer_ip(struct rpc_call *call)
{
        const struct identity_config *cfg = &APP(call)->cfg;
        const char *direct = rpc_call_peer_address(call);
        char client[64];
        forwarded_client(direct, rpc_call_metadata(call, cfg->client_ip_header),
                         cfg->trusted_proxies, client, sizeof(client));
        const char *copy = rpc_call_strdup(call, client);
        return copy ? copy : direct;
}

#define RESPOND(call, resp, ret)                                                                   \
        do {                                                                                       \
                *(ret) = &(resp)->base;                                                            \
                return RPC_OK;                                                                     \
        } while (0)

/* ---- handlers ---------------------------------------------------------- */

static int register_user(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__RegisterUserRequest *req = (const void *)msg;
        struct identity_user u;
        int r = identity_register(APP(call), req->email, req->password, req->display_name,
                                  peer_ip(call), &u);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__RegisterUserResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__register_user_response__descriptor);
        if (!resp || !(resp->user = user_to_proto(call, &u)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int login(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__LoginRequest *req = (const void *)msg;
        struct identity_tokens t;
        struct identity_user u;
        int64_t wait_ms = 0;
        int r = identity_login(APP(call), req->email, req->password, peer_ip(call), &t, &u,
                               &wait_ms);
        if (r == IDE_LOGIN_DELAYED)
                return rpc_error(call, RPC_RESOURCE_EXHAUSTED,
                                 "too many failed logins for this account; retry in %lld s",
                                 (long long)((wait_ms + 999) / 1000));
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__LoginResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__login_response__descriptor);
        if (!resp) {
                identity_tokens_clear(&t);
                return rpc_out_of_memory(call);
        }
        resp->tokens = tokens_to_proto(call, &t);
        resp->user = user_to_proto(call, &u);
        if (!resp->tokens || !resp->user)
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int refresh(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__RefreshRequest *req = (const void *)msg;
        struct identity_tokens t;
        int r = identity_refresh(APP(call), req->refresh_token, &t);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__RefreshResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__refresh_response__descriptor);
        if (!resp) {
                identity_tokens_clear(&t);
                return rpc_out_of_memory(call);
        }
        if (!(resp->tokens = tokens_to_proto(call, &t)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int logout(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__LogoutRequest *req = (const void *)msg;
        struct identity_caller caller = caller_of(call);
        int r = identity_logout(APP(call), &caller, req->refresh_token);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__LogoutResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__logout_response__descriptor);
        if (!resp)
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int get_me(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        struct identity_caller caller = caller_of(call);
        struct identity_user u;
        int r = identity_get_user(APP(call), caller.user_id, &u);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__GetMeResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__get_me_response__descriptor);
        if (!resp || !(resp->user = user_to_proto(call, &u)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int update_profile(struct rpc_call *call, const ProtobufCMessage *msg,
                          ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__UpdateProfileRequest *req = (const void *)msg;
        struct identity_caller caller = caller_of(call);
        struct identity_user u;
        int r = identity_update_profile(APP(call), &caller, req->display_name, &u);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__UpdateProfileResponse *resp = rpc_new_message(
                call, &bookstore__identity__v1__update_profile_response__descriptor);
        if (!resp || !(resp->user = user_to_proto(call, &u)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static bool copy_field(char *out, size_t len, const char *in)
{
        return in && (size_t)snprintf(out, len, "%s", in) < len;
}

static Bookstore__Common__V1__Address *address_to_proto(struct rpc_call *call,
                                                        const struct identity_address *a)
{
        Bookstore__Common__V1__Address *p =
                rpc_new_message(call, &bookstore__common__v1__address__descriptor);
        if (!p)
                return NULL;
        p->id = rpc_call_strdup(call, a->id);
        p->recipient = rpc_call_strdup(call, a->recipient);
        p->line1 = rpc_call_strdup(call, a->line1);
        p->line2 = rpc_call_strdup(call, a->line2);
        p->city = rpc_call_strdup(call, a->city);
        p->postal_code = rpc_call_strdup(call, a->postal_code);
        p->country_code = rpc_call_strdup(call, a->country_code);
        return p;
}

static int add_address(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__AddAddressRequest *req = (const void *)msg;
        const Bookstore__Common__V1__Address *in = req->address;
        struct identity_address a = {0};
        /* a field too long for its column is as invalid as a missing one */
        if (!in || !copy_field(a.recipient, sizeof(a.recipient), in->recipient) ||
            !copy_field(a.line1, sizeof(a.line1), in->line1) ||
            !copy_field(a.line2, sizeof(a.line2), in->line2) ||
            !copy_field(a.city, sizeof(a.city), in->city) ||
            !copy_field(a.postal_code, sizeof(a.postal_code), in->postal_code) ||
            !copy_field(a.country_code, sizeof(a.country_code), in->country_code))
                return fail(call, IDE_ADDRESS_INVALID);
        struct identity_caller caller = caller_of(call);
        int r = identity_add_address(APP(call), &caller, &a);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__AddAddressResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__add_address_response__descriptor);
        if (!resp || !(resp->address = address_to_proto(call, &a)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int list_addresses(struct rpc_call *call, const ProtobufCMessage *msg,
                          ProtobufCMessage **ret)
{
        struct identity_caller caller = caller_of(call);
        struct identity_address list[IDENTITY_MAX_ADDRESSES];
        size_t n = 0;
        int r = identity_list_addresses(APP(call), &caller, list, &n);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__ListAddressesResponse *resp = rpc_new_message(
                call, &bookstore__identity__v1__list_addresses_response__descriptor);
        if (!resp || !(resp->addresses = rpc_call_alloc(call, (n + 1) * sizeof(void *))))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->addresses[resp->n_addresses++] = address_to_proto(call, &list[i])))
                        return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int remove_address(struct rpc_call *call, const ProtobufCMessage *msg,
                          ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__RemoveAddressRequest *req = (const void *)msg;
        struct identity_caller caller = caller_of(call);
        int r = identity_remove_address(APP(call), &caller, req->address_id);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__RemoveAddressResponse *resp = rpc_new_message(
                call, &bookstore__identity__v1__remove_address_response__descriptor);
        if (!resp)
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int create_user(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__CreateUserRequest *req = (const void *)msg;
        unsigned role = req->role == BOOKSTORE__IDENTITY__V1__ROLE__ROLE_SELLER  ? ROLE_SELLER
                        : req->role == BOOKSTORE__IDENTITY__V1__ROLE__ROLE_ADMIN ? ROLE_ADMIN
                                                                                 : 0;
        struct identity_user u;
        int r = identity_create_user(APP(call), req->email, req->password, req->display_name, role,
                                     &u);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__CreateUserResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__create_user_response__descriptor);
        if (!resp || !(resp->user = user_to_proto(call, &u)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int list_users(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__ListUsersRequest *req = (const void *)msg;
        int32_t size = req->page ? req->page->page_size : 0;
        if (size < 0)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "page_size must not be negative");
        size_t page_size = size == 0 ? 20 : size > 100 ? 100 : (size_t)size;
        struct identity_user *users = rpc_call_alloc(call, (page_size + 1) * sizeof(*users));
        if (!users)
                return rpc_out_of_memory(call);
        size_t n = 0;
        char next[32];
        int r = identity_list_users(APP(call), req->page ? req->page->page_token : "", page_size,
                                    users, &n, next);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__ListUsersResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__list_users_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        if (!resp || !page || !(resp->users = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->users[resp->n_users++] = user_to_proto(call, &users[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        RESPOND(call, resp, ret);
}

static int disable_user(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__DisableUserRequest *req = (const void *)msg;
        struct identity_user u;
        int r = identity_disable_user(APP(call), req->user_id, &u);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__DisableUserResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__disable_user_response__descriptor);
        if (!resp || !(resp->user = user_to_proto(call, &u)))
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int get_jwks(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        struct identity_jwks *k = rpc_call_alloc(call, sizeof(*k));
        if (!k)
                return rpc_out_of_memory(call);
        int r = identity_get_jwks(APP(call), k);
        if (r < 0)
                return fail(call, r);
        Bookstore__Identity__V1__GetJwksResponse *resp =
                rpc_new_message(call, &bookstore__identity__v1__get_jwks_response__descriptor);
        bool ok = resp && (resp->keys = rpc_call_alloc(call, (k->n + 1) * sizeof(void *)));
        if (ok)
                resp->jwks_json = rpc_call_strdup(call, k->document);
        for (size_t i = 0; ok && i < k->n; i++) {
                Bookstore__Identity__V1__Jwk *jwk =
                        rpc_new_message(call, &bookstore__identity__v1__jwk__descriptor);
                const struct identity_jwk *from = &k->keys[i];
                if (!(ok = jwk != NULL))
                        break;
                /* a string not copied: the call remembers it (rpc_call_strdup) */
                jwk->kid = rpc_call_strdup(call, from->kid);
                jwk->kty = rpc_call_strdup(call, from->kty);
                jwk->alg = rpc_call_strdup(call, from->alg);
                jwk->use = rpc_call_strdup(call, from->use);
                jwk->crv = rpc_call_strdup(call, from->crv);
                jwk->x = rpc_call_strdup(call, from->x);
                jwk->y = rpc_call_strdup(call, from->y);
                resp->keys[resp->n_keys++] = jwk;
        }
        identity_jwks_clear(k);
        if (!ok)
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static int issue_service_token(struct rpc_call *call, const ProtobufCMessage *msg,
                               ProtobufCMessage **ret)
{
        const Bookstore__Identity__V1__IssueServiceTokenRequest *req = (const void *)msg;
        char *token = NULL;
        int64_t exp = 0;
        int r = identity_issue_service_token(APP(call), req->service_name, req->client_secret,
                                             &token, &exp);
        if (r != IDE_OK)
                return fail(call, r);
        Bookstore__Identity__V1__IssueServiceTokenResponse *resp = rpc_new_message(
                call, &bookstore__identity__v1__issue_service_token_response__descriptor);
        if (resp) {
                resp->access_token = rpc_call_strdup(call, token);
                resp->expires_at = rpc_new_timestamp(call, exp);
        }
        free(token);
        if (!resp || !resp->access_token || !resp->expires_at)
                return rpc_out_of_memory(call);
        RESPOND(call, resp, ret);
}

static const struct rpc_method_impl identity_methods[] = {
        {.name = "RegisterUser",
         .unary = register_user,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "Login",
         .unary = login,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "Refresh",
         .unary = refresh,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "Logout", .unary = logout, .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "GetMe", .unary = get_me, .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "UpdateProfile",
         .unary = update_profile,
         .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "AddAddress",
         .unary = add_address,
         .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "ListAddresses",
         .unary = list_addresses,
         .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "RemoveAddress",
         .unary = remove_address,
         .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "CreateUser", .unary = create_user, .roles = ROLE_ADMIN},
        {.name = "ListUsers", .unary = list_users, .roles = ROLE_ADMIN},
        {.name = "DisableUser", .unary = disable_user, .roles = ROLE_ADMIN},
        {.name = "GetJwks",
         .unary = get_jwks,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "IssueServiceToken", .unary = issue_service_token, .roles = AUTH_PUBLIC},
};

int identity_grpc_register(struct rpc_server *server, struct identity_app *app)
{
        return rpc_server_add_service(
                server, &bookstore__identity__v1__identity_service__descriptor, NULL,
                identity_methods, sizeof(identity_methods) / sizeof(identity_methods[0]), app);
}
