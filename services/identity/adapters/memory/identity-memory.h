/* Identity's users, addresses and refresh tokens in memory: the same
 * contracts as the MariaDB adapters (identity-store.h), for use-case tests.
 * Fixed tables (a test's worth) under one mutex. */
#pragma once

#include "identity-store.h"

#include <pthread.h>

enum { IDENTITY_MEMORY_USERS = 16, IDENTITY_MEMORY_ADDRESSES = 32, IDENTITY_MEMORY_TOKENS = 64 };

struct identity_memory {
        pthread_mutex_t lock;
        struct identity_user users[IDENTITY_MEMORY_USERS];
        size_t n_users;
        struct identity_memory_address {
                char user_id[37];
                struct identity_address a;
        } addresses[IDENTITY_MEMORY_ADDRESSES];
        size_t n_addresses;
        struct identity_refresh_token tokens[IDENTITY_MEMORY_TOKENS];
        size_t n_tokens;
};

void identity_memory_init(struct identity_memory *m);
void identity_memory_free(struct identity_memory *m);
struct identity_user_repo identity_users_memory(struct identity_memory *m);
struct identity_refresh_store identity_refresh_memory(struct identity_memory *m);
