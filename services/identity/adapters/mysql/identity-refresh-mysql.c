/* Refresh tokens (their SHA-256 only) in MariaDB; see identity-mysql.h. */
#include "identity-mysql.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[] = {
        [REFRESH_ACTIVE] = "ACTIVE",
        [REFRESH_ROTATED] = "ROTATED",
        [REFRESH_REVOKED] = "REVOKED",
};

static int refresh_insert(void *self, const struct identity_refresh_token *t)
{
        struct db_value p[] = {db_text(t->hash), db_text(t->user_id), db_text(t->family_id),
                               db_text(state_names[t->state]), db_int(t->expires_at)};
        return db_pool_exec(self,
                            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, state, "
                            "expires_at) VALUES (?, ?, ?, ?, ?)",
                            p, 5, NULL, NULL);
}

struct found {
        struct identity_refresh_token *t;
        bool any;
};

static int token_row_cb(const struct db_row *row, void *userdata)
{
        struct found *f = userdata;
        struct identity_refresh_token *t = f->t;
        snprintf(t->hash, sizeof(t->hash), "%s", db_row_text(row, 0, NULL));
        snprintf(t->user_id, sizeof(t->user_id), "%s", db_row_text(row, 1, NULL));
        snprintf(t->family_id, sizeof(t->family_id), "%s", db_row_text(row, 2, NULL));
        const char *state = db_row_text(row, 3, NULL);
        t->state = !strcmp(state, "ACTIVE")    ? REFRESH_ACTIVE
                   : !strcmp(state, "ROTATED") ? REFRESH_ROTATED
                                               : REFRESH_REVOKED;
        t->expires_at = db_row_int64(row, 4);
        f->any = true;
        return 0;
}

static int refresh_find(void *self, const char *hash, struct identity_refresh_token *ret)
{
        struct found f = {.t = ret};
        struct db_value v = db_text(hash);
        int r = db_pool_query(self,
                              "SELECT token_hash, user_id, family_id, state, expires_at FROM "
                              "refresh_tokens WHERE token_hash = ?",
                              &v, 1, token_row_cb, &f);
        return r < 0 ? r : f.any ? 0 : -ENOENT;
}

static int refresh_rotate(void *self, const char *hash, bool *ret_won)
{
        struct db_value v = db_text(hash);
        uint64_t affected = 0;
        int r = db_pool_exec(self,
                             "UPDATE refresh_tokens SET state = 'ROTATED' WHERE token_hash = ? AND "
                             "state = 'ACTIVE'",
                             &v, 1, &affected, NULL);
        if (r == 0)
                *ret_won = affected == 1;
        return r;
}

static int refresh_revoke(void *self, const char *hash, const char *user_id)
{
        struct db_value p[] = {db_text(hash), db_text(user_id)};
        return db_pool_exec(self,
                            "UPDATE refresh_tokens SET state = 'REVOKED' WHERE token_hash = ? AND "
                            "user_id = ?",
                            p, 2, NULL, NULL);
}

static int refresh_revoke_family(void *self, const char *family_id)
{
        struct db_value v = db_text(family_id);
        return db_pool_exec(self, "UPDATE refresh_tokens SET state = 'REVOKED' WHERE family_id = ?",
                            &v, 1, NULL, NULL);
}

static int refresh_revoke_user(void *self, const char *user_id)
{
        struct db_value v = db_text(user_id);
        return db_pool_exec(self, "UPDATE refresh_tokens SET state = 'REVOKED' WHERE user_id = ?",
                            &v, 1, NULL, NULL);
}

static const struct identity_refresh_store_ops refresh_mysql_ops = {
        .insert = refresh_insert,
        .find = refresh_find,
        .rotate = refresh_rotate,
        .revoke = refresh_revoke,
        .revoke_family = refresh_revoke_family,
        .revoke_user = refresh_revoke_user,
};

struct identity_refresh_store identity_refresh_mysql(struct db_pool *pool)
{
        return (struct identity_refresh_store){.ops = &refresh_mysql_ops, .self = pool};
}
