/* Identity's stores (identity-store.h) on memory (unit suite) and MariaDB
 * (contract suite; argv[1] = "mysql"), held to the same contract: random
 * valid users, addresses and refresh tokens (every field set, every role
 * and state, empty and full-length text) read back field for field through
 * every read and write; addresses keep their order when one is removed and
 * belong to a user that exists. A fake must lose what the real store loses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "identity-memory.h"
#include "identity-mysql.h"

#include "../../../tests/contract/contract-db.h"
#include "../../../tests/contract/random-fields.h"

#include "core/roles.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A field added to these structs must be stored by both stores, generated
 * and compared below: then update the size. */
_Static_assert(sizeof(struct identity_user) == 976, "a user field was added or removed");
_Static_assert(sizeof(struct identity_address) == 765, "an address field was added or removed");
_Static_assert(sizeof(struct identity_refresh_token) == 152, "a token field was added or removed");

enum { USERS = 10 };

static bool use_mysql;
static struct identity_memory memory;
static struct db_pool *pool;
static char schema[64];
static struct identity_user_repo users;
static struct identity_refresh_store tokens;

static int setup(void **state)
{
        if (use_mysql) {
                if (contract_schema_open("bookstore_idn", identity_migrations,
                                         identity_migrations_count, schema, &pool) < 0)
                        return -1;
                users = identity_users_mysql(pool);
                tokens = identity_refresh_mysql(pool);
                return 0;
        }
        identity_memory_init(&memory);
        users = identity_users_memory(&memory);
        tokens = identity_refresh_memory(&memory);
        return 0;
}

static int teardown(void **state)
{
        if (use_mysql)
                contract_schema_drop(pool, schema);
        else
                identity_memory_free(&memory);
        return 0;
}

static void random_id(struct rnd *r, char out[37])
{
        snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)rnd_next(r),
                 (unsigned)(rnd_next(r) & 0xffff), (unsigned)(rnd_next(r) & 0xfff),
                 (unsigned)(rnd_next(r) & 0xfff),
                 (unsigned long long)(rnd_next(r) & 0xffffffffffffULL));
}

static void random_user(struct rnd *r, struct identity_user *u, uint64_t seed)
{
        memset(u, 0, sizeof(*u));
        random_id(r, u->id);
        char tag[32];
        snprintf(tag, sizeof(tag), "u%llu-%d@", (unsigned long long)seed, (int)getpid());
        RND_ASCII_TAGGED(r, u->email, tag);
        rnd_utf8_chars(r, u->display_name, sizeof(u->display_name), IDENTITY_NAME_MAX_CHARS);
        const unsigned roles[] = {ROLE_CUSTOMER, ROLE_SELLER, ROLE_ADMIN};
        u->role = roles[rnd_next(r) % 3];
        u->disabled = rnd_bool(r);
        RND_ASCII(r, u->password_hash);
        u->created_at = rnd_time_ms(r) / 1000;
}

static void expect_same_user(const struct identity_user *want, const struct identity_user *got)
{
        assert_string_equal(got->id, want->id);
        assert_string_equal(got->email, want->email);
        assert_string_equal(got->display_name, want->display_name);
        assert_int_equal(got->role, want->role);
        assert_int_equal(got->disabled, want->disabled);
        assert_string_equal(got->password_hash, want->password_hash);
        assert_int_equal(got->created_at, want->created_at);
        assert_true(got->seq > 0);
}

static void random_address(struct rnd *r, struct identity_address *a)
{
        memset(a, 0, sizeof(*a));
        random_id(r, a->id);
        RND_TEXT(r, a->recipient);
        RND_TEXT(r, a->line1);
        RND_TEXT(r, a->line2);
        RND_TEXT(r, a->city);
        RND_TEXT(r, a->postal_code);
        rnd_ascii(r, a->country_code, 2);
}

static void expect_same_address(const struct identity_address *want,
                                const struct identity_address *got)
{
        assert_string_equal(got->id, want->id);
        assert_string_equal(got->recipient, want->recipient);
        assert_string_equal(got->line1, want->line1);
        assert_string_equal(got->line2, want->line2);
        assert_string_equal(got->city, want->city);
        assert_string_equal(got->postal_code, want->postal_code);
        assert_string_equal(got->country_code, want->country_code);
}

static void every_user_field_survives_create_find_list_and_changes(void **state)
{
        struct identity_user want, got, page[USERS + 1];
        int64_t after = 0;
        for (uint64_t seed = 1; seed <= USERS; seed++) {
                struct rnd r = {seed};
                random_user(&r, &want, seed);
                assert_int_equal(users.ops->create(users.self, &want), 0);
                assert_int_equal(users.ops->find_by_id(users.self, want.id, &got), 0);
                expect_same_user(&want, &got);
                assert_int_equal(users.ops->find_by_email(users.self, want.email, &got), 0);
                expect_same_user(&want, &got);
                size_t n = 0;
                assert_int_equal(users.ops->list(users.self, after, page, USERS + 1, &n), 0);
                assert_int_equal(n, 1);
                expect_same_user(&want, &page[0]);
                after = page[0].seq;

                rnd_utf8_chars(&r, want.display_name, sizeof(want.display_name),
                               IDENTITY_NAME_MAX_CHARS);
                want.disabled = !want.disabled;
                assert_int_equal(
                        users.ops->update_display_name(users.self, want.id, want.display_name), 0);
                assert_int_equal(users.ops->set_disabled(users.self, want.id, want.disabled), 0);
                assert_int_equal(users.ops->find_by_id(users.self, want.id, &got), 0);
                expect_same_user(&want, &got);
        }
}

static void addresses_read_back_in_order_and_belong_to_a_user(void **state)
{
        struct rnd r = {77};
        struct identity_user u;
        random_user(&r, &u, 1000);
        assert_int_equal(users.ops->create(users.self, &u), 0);
        struct identity_address want[IDENTITY_MAX_ADDRESSES], got[IDENTITY_MAX_ADDRESSES + 1];
        for (int i = 0; i < IDENTITY_MAX_ADDRESSES; i++) {
                random_address(&r, &want[i]);
                assert_int_equal(
                        users.ops->add_address(users.self, u.id, &want[i], IDENTITY_MAX_ADDRESSES),
                        0);
        }
        struct identity_address more;
        random_address(&r, &more);
        assert_int_equal(users.ops->add_address(users.self, u.id, &more, IDENTITY_MAX_ADDRESSES),
                         -ENOSPC);
        size_t n = 0;
        assert_int_equal(users.ops->list_addresses(users.self, u.id, got, 4, &n), 0);
        assert_int_equal(n, IDENTITY_MAX_ADDRESSES);
        for (size_t i = 0; i < n; i++)
                expect_same_address(&want[i], &got[i]);
        /* the first goes: the others keep their order */
        assert_int_equal(users.ops->remove_address(users.self, u.id, want[0].id), 0);
        assert_int_equal(users.ops->list_addresses(users.self, u.id, got, 4, &n), 0);
        assert_int_equal(n, IDENTITY_MAX_ADDRESSES - 1);
        for (size_t i = 0; i < n; i++)
                expect_same_address(&want[i + 1], &got[i]);
        /* an address of nobody, and one id twice, are refused */
        assert_int_equal(
                users.ops->add_address(users.self, "no-such-user", &more, IDENTITY_MAX_ADDRESSES),
                -ENOENT);
        assert_int_equal(users.ops->add_address(users.self, u.id, &want[1], IDENTITY_MAX_ADDRESSES),
                         -EEXIST);
}

static void every_refresh_token_field_survives_every_move(void **state)
{
        for (uint64_t seed = 1; seed <= 20; seed++) {
                struct rnd r = {seed * 7919};
                struct identity_refresh_token want = {0}, got;
                for (int i = 0; i < 64; i++)
                        want.hash[i] = "0123456789abcdef"[rnd_next(&r) % 16];
                random_id(&r, want.user_id);
                random_id(&r, want.family_id);
                want.state =
                        (enum identity_refresh_state)rnd_range(&r, REFRESH_ACTIVE, REFRESH_REVOKED);
                want.expires_at = rnd_time_ms(&r) / 1000;
                assert_int_equal(tokens.ops->insert(tokens.self, &want), 0);
                assert_int_equal(tokens.ops->find(tokens.self, want.hash, &got), 0);
                assert_string_equal(got.hash, want.hash);
                assert_string_equal(got.user_id, want.user_id);
                assert_string_equal(got.family_id, want.family_id);
                assert_int_equal(got.state, want.state);
                assert_int_equal(got.expires_at, want.expires_at);
                bool won = false;
                assert_int_equal(tokens.ops->rotate(tokens.self, want.hash, &won), 0);
                assert_int_equal(won, want.state == REFRESH_ACTIVE);
                assert_int_equal(tokens.ops->find(tokens.self, want.hash, &got), 0);
                assert_int_equal(got.state,
                                 want.state == REFRESH_ACTIVE ? REFRESH_ROTATED : want.state);
                assert_int_equal(tokens.ops->revoke_family(tokens.self, want.family_id), 0);
                assert_int_equal(tokens.ops->find(tokens.self, want.hash, &got), 0);
                assert_int_equal(got.state, REFRESH_REVOKED);
                assert_int_equal(got.expires_at, want.expires_at);
        }
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_user_field_survives_create_find_list_and_changes),
                cmocka_unit_test(addresses_read_back_in_order_and_belong_to_a_user),
                cmocka_unit_test(every_refresh_token_field_survives_every_move),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
