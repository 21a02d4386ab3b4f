/* Users and addresses in MariaDB; see identity-mysql.h. */
#include "identity-mysql.h"

#include "core/clock.h"
#include "identity-events.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define USER_COLUMNS "seq, id, email, display_name, role, password_hash, disabled, created_at"

static void copy_text(const struct db_row *row, size_t col, char *out, size_t out_len)
{
        snprintf(out, out_len, "%s", db_row_text(row, col, NULL));
}

struct user_rows {
        struct identity_user *out;
        size_t cap, n;
};

static int user_row_cb(const struct db_row *row, void *userdata)
{
        struct user_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        struct identity_user *u = &rows->out[rows->n++];
        memset(u, 0, sizeof(*u));
        u->seq = db_row_int64(row, 0);
        copy_text(row, 1, u->id, sizeof(u->id));
        copy_text(row, 2, u->email, sizeof(u->email));
        copy_text(row, 3, u->display_name, sizeof(u->display_name));
        if (role_parse(db_row_text(row, 4, NULL), &u->role) < 0)
                u->role = 0; /* unknown in the database: no role, no access */
        copy_text(row, 5, u->password_hash, sizeof(u->password_hash));
        u->disabled = db_row_int64(row, 6) != 0;
        u->created_at = db_row_int64(row, 7);
        return 0;
}

static int find_one(struct db_pool *pool, const char *sql, const char *key,
                    struct identity_user *ret)
{
        struct user_rows rows = {.out = ret, .cap = 1};
        struct db_value v = db_text(key);
        int r = db_pool_query(pool, sql, &v, 1, user_row_cb, &rows);
        if (r < 0)
                return r;
        return rows.n ? 0 : -ENOENT;
}

/* The account and its user.registered event in one transaction (the outbox). */
static int create_change(struct db_conn *c, void *arg)
{
        const struct identity_user *u = arg;
        struct db_value p[] = {db_text(u->id),
                               db_text(u->email),
                               db_text(u->display_name),
                               db_text(role_name(u->role)),
                               db_text(u->password_hash),
                               db_int(u->disabled),
                               db_int(u->created_at)};
        int r = db_exec(c,
                        "INSERT INTO users (id, email, display_name, role, password_hash, "
                        "disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        p, 7, NULL, NULL);
        uint8_t buf[IDENTITY_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        if (r == 0 &&
            (r = identity_event_registered(u, clock_realtime_ms(), buf, event_id, &rec)) > 0)
                r = events_outbox_append(c, &rec);
        return r;
}

static int users_create(void *self, const struct identity_user *u)
{
        return db_pool_in_transaction(self, create_change, (void *)u);
}

static int users_find_by_email(void *self, const char *email, struct identity_user *ret)
{
        return find_one(self, "SELECT " USER_COLUMNS " FROM users WHERE email = ?", email, ret);
}

static int users_find_by_id(void *self, const char *id, struct identity_user *ret)
{
        return find_one(self, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", id, ret);
}

static int exists(struct db_pool *pool, const char *id)
{
        struct identity_user u;
        return users_find_by_id(pool, id, &u);
}

static int users_update_display_name(void *self, const char *id, const char *name)
{
        struct db_value p[] = {db_text(name), db_text(id)};
        int r = db_pool_exec(self, "UPDATE users SET display_name = ? WHERE id = ?", p, 2, NULL,
                             NULL);
        return r < 0 ? r : exists(self, id); /* 0 rows changed also when the name is the same */
}

static int users_set_disabled(void *self, const char *id, bool disabled)
{
        struct db_value p[] = {db_int(disabled), db_text(id)};
        int r = db_pool_exec(self, "UPDATE users SET disabled = ? WHERE id = ?", p, 2, NULL, NULL);
        return r < 0 ? r : exists(self, id);
}

static int users_list(void *self, int64_t after_seq, struct identity_user *ret, size_t cap,
                      size_t *ret_n)
{
        struct user_rows rows = {.out = ret, .cap = cap};
        struct db_value p[] = {db_int(after_seq), db_int((int64_t)cap)};
        int r = db_pool_query(
                self, "SELECT " USER_COLUMNS " FROM users WHERE seq > ? ORDER BY seq LIMIT ?", p, 2,
                user_row_cb, &rows);
        if (r == 0)
                *ret_n = rows.n;
        return r;
}

static int count_cb(const struct db_row *row, void *userdata)
{
        *(int64_t *)userdata = db_row_int64(row, 0);
        return 0;
}

/* Locks the user's row, so two concurrent adds cannot both pass the count. */
static int users_add_address(void *self, const char *user_id, const struct identity_address *a,
                             int max)
{
        struct db_conn *c;
        int r = db_acquire(self, &c);
        if (r < 0)
                return r;
        struct db_value uid = db_text(user_id);
        int64_t locked = 0, count = 0;
        if ((r = db_begin(c)) < 0 ||
            (r = db_query(c, "SELECT COUNT(*) FROM users WHERE id = ? FOR UPDATE", &uid, 1,
                          count_cb, &locked)) < 0 ||
            (r = db_query(c, "SELECT COUNT(*) FROM addresses WHERE user_id = ?", &uid, 1, count_cb,
                          &count)) < 0)
                goto out;
        if (!locked) {
                r = -ENOENT;
                goto out;
        }
        if (count >= max) {
                r = -ENOSPC;
                goto out;
        }
        struct db_value p[] = {db_text(a->id),          db_text(user_id),
                               db_text(a->recipient),   db_text(a->line1),
                               db_text(a->line2),       db_text(a->city),
                               db_text(a->postal_code), db_text(a->country_code)};
        if ((r = db_exec(c,
                         "INSERT INTO addresses (id, user_id, recipient, line1, line2, city, "
                         "postal_code, country_code, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, UNIX_TIMESTAMP())",
                         p, 8, NULL, NULL)) < 0)
                goto out;
        r = db_commit(c);
out:
        db_release(c); /* rolls back unless committed */
        return r;
}

struct address_rows {
        struct identity_address *out;
        size_t cap, n;
};

static int address_row_cb(const struct db_row *row, void *userdata)
{
        struct address_rows *rows = userdata;
        if (rows->n == rows->cap)
                return 0;
        struct identity_address *a = &rows->out[rows->n++];
        memset(a, 0, sizeof(*a));
        copy_text(row, 0, a->id, sizeof(a->id));
        copy_text(row, 1, a->recipient, sizeof(a->recipient));
        copy_text(row, 2, a->line1, sizeof(a->line1));
        copy_text(row, 3, a->line2, sizeof(a->line2));
        copy_text(row, 4, a->city, sizeof(a->city));
        copy_text(row, 5, a->postal_code, sizeof(a->postal_code));
        copy_text(row, 6, a->country_code, sizeof(a->country_code));
        return 0;
}

static int users_list_addresses(void *self, const char *user_id, struct identity_address *ret,
                                size_t cap, size_t *ret_n)
{
        struct address_rows rows = {.out = ret, .cap = cap};
        struct db_value uid = db_text(user_id);
        int r = db_pool_query(self,
                              "SELECT id, recipient, line1, line2, city, postal_code, country_code "
                              "FROM addresses WHERE user_id = ? ORDER BY seq",
                              &uid, 1, address_row_cb, &rows);
        if (r == 0)
                *ret_n = rows.n;
        return r;
}

static int users_remove_address(void *self, const char *user_id, const char *address_id)
{
        struct db_value p[] = {db_text(address_id), db_text(user_id)};
        uint64_t affected = 0;
        int r = db_pool_exec(self, "DELETE FROM addresses WHERE id = ? AND user_id = ?", p, 2,
                             &affected, NULL);
        return r < 0 ? r : affected ? 0 : -ENOENT;
}

static const struct identity_user_repo_ops users_mysql_ops = {
        .create = users_create,
        .find_by_email = users_find_by_email,
        .find_by_id = users_find_by_id,
        .update_display_name = users_update_display_name,
        .set_disabled = users_set_disabled,
        .list = users_list,
        .add_address = users_add_address,
        .list_addresses = users_list_addresses,
        .remove_address = users_remove_address,
};

struct identity_user_repo identity_users_mysql(struct db_pool *pool)
{
        return (struct identity_user_repo){.ops = &users_mysql_ops, .self = pool};
}
