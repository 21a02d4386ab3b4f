/* Identity use cases: one function per operation, talking to the world only
 * through the ports. Each returns IDE_OK, a positive identity_error (an
 * expected outcome, mapped to a gRPC status by the adapter), or a negative
 * errno (infrastructure). Thread-safe: the app holds no mutable state. */
#pragma once

#include "identity-errors.h"
#include "identity-outside.h"
#include "identity-rules.h"
#include "identity-store.h"

struct identity_service_client {
        const char *name;   /* e.g. "checkout" */
        const char *secret; /* shared with that service */
};

struct identity_config {
        int64_t access_ttl_s;        /* 900 */
        int64_t refresh_ttl_s;       /* 7 days */
        int64_t service_token_ttl_s; /* 300 */
        int64_t token_leeway_s;      /* guards accept a token this long past its exp
                                        (BOOKSTORE_JWT_LEEWAY_S): a revocation outlasts it */
        int login_limit_per_peer;    /* attempts per window from one client address */
        /* failures of one account from one address, and of one account from
         * anywhere (a distributed guess), each with growing delays */
        struct identity_throttle login_throttle_peer, login_throttle_account;
        int64_t login_failure_window_ms;
        /* read by the gRPC adapter: the client address of a call through one
         * of these proxies (comma-separated IPs) comes from this header */
        const char *trusted_proxies, *client_ip_header;
        int register_limit_per_peer; /* self-registrations per window and client address */
        int64_t login_window_ms;
        const char *limit_namespace; /* prefix of the limiter's keys, e.g. "identity" */
        const struct identity_service_client *service_clients;
        size_t n_service_clients;
};

struct identity_app {
        struct identity_config cfg;
        struct identity_user_repo users;
        struct identity_refresh_store refresh;
        struct identity_hasher hasher;
        struct identity_signer signer;
        struct identity_revoker revoker;
        struct identity_limiter limiter;
        struct core_env env;
        struct identity_digest digest;
        char dummy_hash[256]; /* verified against when the email is unknown: same timing */
};

/* The authenticated caller, from the token. */
struct identity_caller {
        const char *user_id;
        unsigned role;
        const char *jti;
        int64_t expires_at;
};

struct identity_tokens {
        char *access; /* malloc'd; identity_tokens_clear() frees */
        int64_t access_expires_at;
        char refresh[48];
        int64_t refresh_expires_at;
};
void identity_tokens_clear(struct identity_tokens *t);

/* The public verification keys (GetJwks). */
int identity_get_jwks(struct identity_app *app, struct identity_jwks *ret);
void identity_jwks_clear(struct identity_jwks *k);

/* Call once after filling the ports and cfg. */
int identity_app_init(struct identity_app *app);

/* Public: limited per client address (peer_ip). */
int identity_register(struct identity_app *app, const char *email, const char *password,
                      const char *display_name, const char *peer_ip, struct identity_user *ret);
/* Attempts are limited per client address; failures slow down that
 * account from that address (and, far later, the account from anywhere):
 * IDE_LOGIN_DELAYED with *ret_wait_ms until the next attempt is looked at.
 * A success clears the account's failures from that address. */
int identity_login(struct identity_app *app, const char *email, const char *password,
                   const char *peer_ip, struct identity_tokens *ret_tokens,
                   struct identity_user *ret_user, int64_t *ret_wait_ms);
int identity_refresh(struct identity_app *app, const char *refresh_token,
                     struct identity_tokens *ret_tokens);
/* Revokes the caller's access token and, when given, its refresh token. */
int identity_logout(struct identity_app *app, const struct identity_caller *caller,
                    const char *refresh_token);
int identity_get_user(struct identity_app *app, const char *user_id, struct identity_user *ret);
int identity_update_profile(struct identity_app *app, const struct identity_caller *caller,
                            const char *display_name, struct identity_user *ret);

int identity_add_address(struct identity_app *app, const struct identity_caller *caller,
                         struct identity_address *a); /* a->id set on success */
int identity_list_addresses(struct identity_app *app, const struct identity_caller *caller,
                            struct identity_address ret[IDENTITY_MAX_ADDRESSES], size_t *ret_n);
int identity_remove_address(struct identity_app *app, const struct identity_caller *caller,
                            const char *address_id);

/* ADMIN: role is ROLE_SELLER or ROLE_ADMIN. */
int identity_create_user(struct identity_app *app, const char *email, const char *password,
                         const char *display_name, unsigned role, struct identity_user *ret);
/* page_token "" for the first page; next_token "" after the last. */
int identity_list_users(struct identity_app *app, const char *page_token, size_t page_size,
                        struct identity_user *ret, size_t *ret_n, char next_token[32]);
int identity_disable_user(struct identity_app *app, const char *user_id, struct identity_user *ret);
int identity_issue_service_token(struct identity_app *app, const char *service_name,
                                 const char *client_secret, char **ret_token,
                                 int64_t *ret_expires_at);
/* Start-up: creates the first admin unless an account with that email exists. */
int identity_ensure_admin(struct identity_app *app, const char *email, const char *password,
                          bool *ret_created);
