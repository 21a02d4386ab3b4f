/* In-memory users and refresh tokens; see identity-memory.h. */
#include "identity-memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void identity_memory_init(struct identity_memory *m)
{
        *m = (struct identity_memory){0};
        pthread_mutex_init(&m->lock, NULL);
}

void identity_memory_free(struct identity_memory *m)
{
        pthread_mutex_destroy(&m->lock);
}

/* ---- users and addresses -------------------------------------------------- */

static struct identity_user *user_by(struct identity_memory *m, bool by_id, const char *key)
{
        for (size_t i = 0; i < m->n_users; i++)
                if (!strcmp(by_id ? m->users[i].id : m->users[i].email, key))
                        return &m->users[i];
        return NULL;
}

static int create(void *self, const struct identity_user *u)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        int r = user_by(m, false, u->email) || user_by(m, true, u->id) ? -EEXIST
                : m->n_users == IDENTITY_MEMORY_USERS                  ? -ENOSPC
                                                                       : 0;
        if (!r) {
                m->users[m->n_users] = *u;
                m->users[m->n_users].seq = (int64_t)m->n_users + 1; /* AUTO_INCREMENT */
                m->n_users++;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int find(struct identity_memory *m, bool by_id, const char *key, struct identity_user *ret)
{
        pthread_mutex_lock(&m->lock);
        struct identity_user *u = user_by(m, by_id, key);
        if (u)
                *ret = *u;
        pthread_mutex_unlock(&m->lock);
        return u ? 0 : -ENOENT;
}

static int find_by_email(void *self, const char *email, struct identity_user *ret)
{
        return find(self, false, email, ret);
}

static int find_by_id(void *self, const char *id, struct identity_user *ret)
{
        return find(self, true, id, ret);
}

static int update_display_name(void *self, const char *id, const char *name)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct identity_user *u = user_by(m, true, id);
        if (u)
                snprintf(u->display_name, sizeof(u->display_name), "%s", name);
        pthread_mutex_unlock(&m->lock);
        return u ? 0 : -ENOENT;
}

static int set_disabled(void *self, const char *id, bool disabled)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct identity_user *u = user_by(m, true, id);
        if (u)
                u->disabled = disabled;
        pthread_mutex_unlock(&m->lock);
        return u ? 0 : -ENOENT;
}

static int list(void *self, int64_t after, struct identity_user *ret, size_t cap, size_t *ret_n)
{
        struct identity_memory *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_users && n < cap; i++) /* kept in seq order */
                if (m->users[i].seq > after)
                        ret[n++] = m->users[i];
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int add_address(void *self, const char *user_id, const struct identity_address *a, int max)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        int count = 0, r = user_by(m, true, user_id) ? 0 : -ENOENT; /* MariaDB: a foreign key */
        for (size_t i = 0; i < m->n_addresses; i++) {
                count += !strcmp(m->addresses[i].user_id, user_id);
                if (!strcmp(m->addresses[i].a.id, a->id))
                        r = r ? r : -EEXIST; /* the id is unique */
        }
        if (!r && (count >= max || m->n_addresses == IDENTITY_MEMORY_ADDRESSES))
                r = -ENOSPC;
        if (!r) {
                struct identity_memory_address *e = &m->addresses[m->n_addresses++];
                snprintf(e->user_id, sizeof(e->user_id), "%s", user_id);
                e->a = *a;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int list_addresses(void *self, const char *user_id, struct identity_address *ret, size_t cap,
                          size_t *ret_n)
{
        struct identity_memory *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_addresses && n < cap; i++)
                if (!strcmp(m->addresses[i].user_id, user_id))
                        ret[n++] = m->addresses[i].a;
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int remove_address(void *self, const char *user_id, const char *address_id)
{
        struct identity_memory *m = self;
        int r = -ENOENT;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_addresses && r; i++)
                if (!strcmp(m->addresses[i].user_id, user_id) &&
                    !strcmp(m->addresses[i].a.id, address_id)) {
                        /* the rest keep their order (MariaDB lists by insertion) */
                        memmove(&m->addresses[i], &m->addresses[i + 1],
                                (--m->n_addresses - i) * sizeof(m->addresses[0]));
                        r = 0;
                }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static const struct identity_user_repo_ops users_memory_ops = {
        .create = create,
        .find_by_email = find_by_email,
        .find_by_id = find_by_id,
        .update_display_name = update_display_name,
        .set_disabled = set_disabled,
        .list = list,
        .add_address = add_address,
        .list_addresses = list_addresses,
        .remove_address = remove_address,
};

struct identity_user_repo identity_users_memory(struct identity_memory *m)
{
        return (struct identity_user_repo){.ops = &users_memory_ops, .self = m};
}

/* ---- refresh tokens ------------------------------------------------------- */

static struct identity_refresh_token *token_by(struct identity_memory *m, const char *hash)
{
        for (size_t i = 0; i < m->n_tokens; i++)
                if (!strcmp(m->tokens[i].hash, hash))
                        return &m->tokens[i];
        return NULL;
}

static int insert(void *self, const struct identity_refresh_token *t)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        int r = token_by(m, t->hash)                    ? -EEXIST
                : m->n_tokens == IDENTITY_MEMORY_TOKENS ? -ENOSPC
                                                        : 0;
        if (!r)
                m->tokens[m->n_tokens++] = *t;
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int find_token(void *self, const char *hash, struct identity_refresh_token *ret)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct identity_refresh_token *t = token_by(m, hash);
        if (t)
                *ret = *t;
        pthread_mutex_unlock(&m->lock);
        return t ? 0 : -ENOENT;
}

static int rotate(void *self, const char *hash, bool *ret_won)
{
        struct identity_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct identity_refresh_token *t = token_by(m, hash);
        bool won = t && t->state == REFRESH_ACTIVE; /* the compare-and-set */
        if (won)
                t->state = REFRESH_ROTATED;
        pthread_mutex_unlock(&m->lock);
        *ret_won = won;
        return 0;
}

/* Revokes the tokens whose hash, family or user (NULL: any) match. */
static int revoke_where(struct identity_memory *m, const char *hash, const char *family,
                        const char *user)
{
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_tokens; i++) {
                struct identity_refresh_token *t = &m->tokens[i];
                if ((!hash || !strcmp(t->hash, hash)) &&
                    (!family || !strcmp(t->family_id, family)) &&
                    (!user || !strcmp(t->user_id, user)))
                        t->state = REFRESH_REVOKED;
        }
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static int revoke(void *self, const char *hash, const char *user_id)
{
        return revoke_where(self, hash, NULL, user_id); /* only the caller's own token */
}

static int revoke_family(void *self, const char *family_id)
{
        return revoke_where(self, NULL, family_id, NULL);
}

static int revoke_user(void *self, const char *user_id)
{
        return revoke_where(self, NULL, NULL, user_id);
}

static const struct identity_refresh_store_ops refresh_memory_ops = {
        .insert = insert,
        .find = find_token,
        .rotate = rotate,
        .revoke = revoke,
        .revoke_family = revoke_family,
        .revoke_user = revoke_user,
};

struct identity_refresh_store identity_refresh_memory(struct identity_memory *m)
{
        return (struct identity_refresh_store){.ops = &refresh_memory_ops, .self = m};
}
