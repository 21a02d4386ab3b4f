/* Ports: where the identity service keeps users, addresses and refresh
 * tokens. Implemented by adapters/mysql. Every function returns 0, a
 * negative errno (-ENOENT not found, -EEXIST duplicate, -ENOSPC limit
 * reached, others: infrastructure), never a domain code. */
#pragma once

#include "identity-rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct identity_user {
        char id[37];
        char email[IDENTITY_EMAIL_MAX + 1];
        char display_name[404]; /* 100 characters of UTF-8 */
        unsigned role;          /* one ROLE_* bit (core/roles.h) */
        bool disabled;
        char password_hash[256];
        int64_t created_at; /* unix seconds */
        int64_t seq;        /* creation order, for keyset pagination */
};

struct identity_user_repo_ops {
        int (*create)(void *self, const struct identity_user *u);
        int (*find_by_email)(void *self, const char *email, struct identity_user *ret);
        int (*find_by_id)(void *self, const char *id, struct identity_user *ret);
        int (*update_display_name)(void *self, const char *id, const char *display_name);
        int (*set_disabled)(void *self, const char *id, bool disabled);
        /* Users with seq > after_seq, in seq order, at most cap. */
        int (*list)(void *self, int64_t after_seq, struct identity_user *ret, size_t cap,
                    size_t *ret_n);
        /* Adds unless the user already has `max` addresses (-ENOSPC), atomically. */
        int (*add_address)(void *self, const char *user_id, const struct identity_address *a,
                           int max);
        int (*list_addresses)(void *self, const char *user_id, struct identity_address *ret,
                              size_t cap, size_t *ret_n);
        int (*remove_address)(void *self, const char *user_id, const char *address_id);
};

struct identity_user_repo {
        const struct identity_user_repo_ops *ops;
        void *self;
};

struct identity_refresh_token {
        char hash[65]; /* hex SHA-256 of the opaque token: the token itself is never stored */
        char user_id[37];
        char family_id[37]; /* one login: every rotation keeps it */
        enum identity_refresh_state state;
        int64_t expires_at;
};

struct identity_refresh_store_ops {
        int (*insert)(void *self, const struct identity_refresh_token *t);
        int (*find)(void *self, const char *hash, struct identity_refresh_token *ret);
        /* ACTIVE -> ROTATED; *ret_won is false when another call got there first. */
        int (*rotate)(void *self, const char *hash, bool *ret_won);
        int (*revoke)(void *self, const char *hash, const char *user_id);
        int (*revoke_family)(void *self, const char *family_id);
        int (*revoke_user)(void *self, const char *user_id);
};

struct identity_refresh_store {
        const struct identity_refresh_store_ops *ops;
        void *self;
};
