/* Identity use cases; see identity-app.h. */
#include "identity-app.h"

#include "core/page.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small pure helpers ------------------------------------------------ */

static void hex(const unsigned char *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = '\0';
}

static void new_uuid(struct identity_app *app, char out[37])
{
        unsigned char b[16];
        core_env_random(&app->env, b, sizeof(b));
        b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
        char h[33];
        hex(b, sizeof(b), h);
        snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static void new_jti(struct identity_app *app, char out[33])
{
        unsigned char b[16];
        core_env_random(&app->env, b, sizeof(b));
        hex(b, sizeof(b), out);
}

/* An opaque refresh token: 32 random bytes, base64url (43 characters). */
static void new_refresh_token(struct identity_app *app, char out[48])
{
        static const char alphabet[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        unsigned char b[43];
        core_env_random(&app->env, b, sizeof(b));
        for (size_t i = 0; i < sizeof(b); i++)
                out[i] = alphabet[b[i] & 63];
        out[43] = '\0';
}

/* Compares in time independent of where the strings differ. */
static bool secrets_equal(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned char diff = (unsigned char)(la != lb);
        for (size_t i = 0; i < la; i++)
                diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
        return diff == 0 && lb > 0;
}

static int64_t now(struct identity_app *app)
{
        return core_env_now_s(&app->env);
}

void identity_tokens_clear(struct identity_tokens *t)
{
        free(t->access);
        memset(t, 0, sizeof(*t));
}

int identity_app_init(struct identity_app *app)
{
        char pw[33];
        new_jti(app, pw); /* a password nobody knows */
        return app->hasher.ops->hash(app->hasher.self, pw, app->dummy_hash,
                                     sizeof(app->dummy_hash));
}

/* ---- accounts ---------------------------------------------------------- */

/* One hit on the limiter's key "<namespace>:<kind>:<who>"; `refused` when over max. */
static int limit(struct identity_app *app, const char *kind, const char *who, int max, int refused)
{
        char key[320];
        bool allowed = false;
        snprintf(key, sizeof(key), "%s:%s:%s", app->cfg.limit_namespace, kind, who);
        int r = app->limiter.ops->hit(app->limiter.self, key, max, app->cfg.login_window_ms,
                                      &allowed);
        if (r < 0)
                return r;
        return allowed ? IDE_OK : refused;
}

static int create_account(struct identity_app *app, const char *email, const char *password,
                          const char *display_name, unsigned role, struct identity_user *ret)
{
        struct identity_user u = {.role = role, .created_at = now(app)};
        int r = identity_normalize_email(email, u.email, sizeof(u.email));
        if (r == IDE_OK)
                r = identity_check_password(password);
        if (r == IDE_OK)
                r = identity_normalize_display_name(display_name, u.display_name,
                                                    sizeof(u.display_name));
        if (r != IDE_OK)
                return r;
        new_uuid(app, u.id);
        if ((r = app->hasher.ops->hash(app->hasher.self, password, u.password_hash,
                                       sizeof(u.password_hash))) < 0)
                return r == -EBUSY ? IDE_HASHING_BUSY : r;
        r = app->users.ops->create(app->users.self, &u);
        if (r == -EEXIST)
                return IDE_EMAIL_TAKEN;
        if (r < 0)
                return r;
        *ret = u;
        return IDE_OK;
}

int identity_register(struct identity_app *app, const char *email, const char *password,
                      const char *display_name, const char *peer_ip, struct identity_user *ret)
{
        /* The throttle fails open: with Redis down, sign-ups still work (the
         * hashing budget still bounds what they cost); logins fail closed. */
        int r = limit(app, "register:peer", peer_ip, app->cfg.register_limit_per_peer,
                      IDE_REGISTER_LIMITED);
        if (r == IDE_REGISTER_LIMITED)
                return r;
        return create_account(app, email, password, display_name, ROLE_CUSTOMER, ret);
}

int identity_create_user(struct identity_app *app, const char *email, const char *password,
                         const char *display_name, unsigned role, struct identity_user *ret)
{
        if (role != ROLE_SELLER && role != ROLE_ADMIN)
                return IDE_ROLE_INVALID;
        return create_account(app, email, password, display_name, role, ret);
}

int identity_ensure_admin(struct identity_app *app, const char *email, const char *password,
                          bool *ret_created)
{
        struct identity_user u;
        char normalized[IDENTITY_EMAIL_MAX + 1];
        int r = identity_normalize_email(email, normalized, sizeof(normalized));
        if (r != IDE_OK)
                return r;
        *ret_created = false;
        r = app->users.ops->find_by_email(app->users.self, normalized, &u);
        if (r == 0)
                return IDE_OK;
        if (r != -ENOENT)
                return r;
        r = create_account(app, normalized, password, "Administrator", ROLE_ADMIN, &u);
        *ret_created = r == IDE_OK;
        return r == IDE_EMAIL_TAKEN ? IDE_OK : r; /* another replica was first */
}

int identity_get_user(struct identity_app *app, const char *user_id, struct identity_user *ret)
{
        int r = app->users.ops->find_by_id(app->users.self, user_id, ret);
        return r == -ENOENT ? IDE_USER_NOT_FOUND : r;
}

int identity_update_profile(struct identity_app *app, const struct identity_caller *caller,
                            const char *display_name, struct identity_user *ret)
{
        char name[404];
        int r = identity_normalize_display_name(display_name, name, sizeof(name));
        if (r != IDE_OK)
                return r;
        r = app->users.ops->update_display_name(app->users.self, caller->user_id, name);
        if (r < 0)
                return r == -ENOENT ? IDE_USER_NOT_FOUND : r;
        return identity_get_user(app, caller->user_id, ret);
}

/* ---- tokens ------------------------------------------------------------ */

/* A new access token and a new refresh token in `family` (a new family when NULL). */
static int issue_tokens(struct identity_app *app, const struct identity_user *u, const char *family,
                        struct identity_tokens *ret)
{
        struct identity_tokens t = {0};
        char jti[33];
        int64_t at = now(app);
        new_jti(app, jti);
        int r = app->signer.ops->sign(app->signer.self, u->id, u->role, jti, at,
                                      app->cfg.access_ttl_s, &t.access);
        if (r < 0)
                return r;
        t.access_expires_at = at + app->cfg.access_ttl_s;
        struct identity_refresh_token rt = {.state = REFRESH_ACTIVE,
                                            .expires_at = at + app->cfg.refresh_ttl_s};
        new_refresh_token(app, t.refresh);
        app->digest.ops->sha256_hex(app->digest.self, t.refresh, rt.hash);
        snprintf(rt.user_id, sizeof(rt.user_id), "%s", u->id);
        if (family)
                snprintf(rt.family_id, sizeof(rt.family_id), "%s", family);
        else
                new_uuid(app, rt.family_id);
        if ((r = app->refresh.ops->insert(app->refresh.self, &rt)) < 0) {
                identity_tokens_clear(&t);
                return r;
        }
        t.refresh_expires_at = rt.expires_at;
        *ret = t;
        return IDE_OK;
}

/* The failure keys of an account: from this address, and from anywhere. */
static void failure_keys(struct identity_app *app, const char *account, const char *peer_ip,
                         char peer_key[400], char account_key[320])
{
        snprintf(peer_key, 400, "%s:login:failures:%s:%s", app->cfg.limit_namespace, account,
                 peer_ip);
        snprintf(account_key, 320, "%s:login:failures:%s", app->cfg.limit_namespace, account);
}

/* One throttle's say on this attempt, counted as a failure before the
 * password is looked at (so that any number of concurrent guesses each see
 * the ones before): how long it must wait (0: go on; the claim stays until
 * the attempt turns out fine). An attempt turned away is withdrawn: waiting
 * is not failing. */
struct claim {
        const char *key;
        char member[64];
        bool held;
};

static int throttle_claim(struct identity_app *app, struct claim *c,
                          const struct identity_throttle *t, int64_t *wait_ms)
{
        int64_t n = 0, last = 0;
        int r = app->limiter.ops->claim(app->limiter.self, c->key, app->cfg.login_failure_window_ms,
                                        &n, &last, c->member);
        if (r < 0)
                return r;
        c->held = true;
        int64_t w = identity_login_wait_ms(t, n, last, core_env_now_ms(&app->env));
        if (w > *wait_ms)
                *wait_ms = w;
        return 0;
}

static void withdraw(struct identity_app *app, struct claim *c)
{
        if (c->held) /* best effort: a claim left behind costs one free failure */
                app->limiter.ops->withdraw(app->limiter.self, c->key, c->member);
        c->held = false;
}

int identity_login(struct identity_app *app, const char *email, const char *password,
                   const char *peer_ip, struct identity_tokens *ret_tokens,
                   struct identity_user *ret_user, int64_t *ret_wait_ms)
{
        char normalized[IDENTITY_EMAIL_MAX + 1], peer_key[400], account_key[320];
        *ret_wait_ms = 0;
        if (identity_normalize_email(email, normalized, sizeof(normalized)) != IDE_OK)
                return IDE_BAD_CREDENTIALS;
        int r = limit(app, "login:peer", peer_ip, app->cfg.login_limit_per_peer, IDE_RATE_LIMITED);
        if (r != IDE_OK)
                return r;
        failure_keys(app, normalized, peer_ip, peer_key, account_key);
        struct claim peer = {.key = peer_key}, account = {.key = account_key};
        if ((r = throttle_claim(app, &peer, &app->cfg.login_throttle_peer, ret_wait_ms)) < 0 ||
            (r = throttle_claim(app, &account, &app->cfg.login_throttle_account, ret_wait_ms)) <
                    0) {
                withdraw(app, &peer);
                return r;
        }
        if (*ret_wait_ms > 0) { /* not checked, so not a failure either */
                withdraw(app, &peer);
                withdraw(app, &account);
                return IDE_LOGIN_DELAYED;
        }
        struct identity_user u;
        r = app->users.ops->find_by_email(app->users.self, normalized, &u);
        const char *hash = r == 0 ? u.password_hash : app->dummy_hash;
        int mismatch = r < 0 && r != -ENOENT
                               ? r
                               : app->hasher.ops->verify(app->hasher.self, hash, password);
        if (mismatch < 0) { /* not checked: not a failure */
                withdraw(app, &peer);
                withdraw(app, &account);
                return mismatch == -EBUSY ? IDE_HASHING_BUSY : mismatch;
        }
        if (r == -ENOENT || mismatch)
                return IDE_BAD_CREDENTIALS; /* counted already */
        withdraw(app, &account);
        withdraw(app, &peer);
        /* read again: an admin may have disabled it while the (slow) check ran,
           and tokens signed after the disable's revocation would outlive it */
        if ((r = app->users.ops->find_by_id(app->users.self, u.id, &u)) < 0)
                return r == -ENOENT ? IDE_BAD_CREDENTIALS : r;
        if (u.disabled)
                return IDE_ACCOUNT_DISABLED;
        app->limiter.ops->forget(app->limiter.self, peer_key); /* best effort: a success */
        if ((r = issue_tokens(app, &u, NULL, ret_tokens)) != IDE_OK)
                return r;
        *ret_user = u;
        return IDE_OK;
}

int identity_refresh(struct identity_app *app, const char *refresh_token,
                     struct identity_tokens *ret_tokens)
{
        struct identity_refresh_token rt;
        char hash[65];
        app->digest.ops->sha256_hex(app->digest.self, refresh_token, hash);
        int r = app->refresh.ops->find(app->refresh.self, hash, &rt);
        if (r == -ENOENT)
                return IDE_REFRESH_INVALID;
        if (r < 0)
                return r;
        enum identity_refresh_decision d =
                identity_refresh_decide(rt.state, rt.expires_at, now(app));
        bool won = false;
        if (d == REFRESH_ROTATE) {
                if ((r = app->refresh.ops->rotate(app->refresh.self, hash, &won)) < 0)
                        return r;
                if (!won) /* a concurrent refresh with the same token: treat as reuse */
                        d = REFRESH_REUSE_DETECTED;
        }
        if (d == REFRESH_REUSE_DETECTED) {
                r = app->refresh.ops->revoke_family(app->refresh.self, rt.family_id);
                return r < 0 ? r : IDE_REFRESH_REUSED;
        }
        if (d == REFRESH_REFUSE)
                return IDE_REFRESH_INVALID;
        struct identity_user u;
        if ((r = identity_get_user(app, rt.user_id, &u)) != IDE_OK)
                return r == IDE_USER_NOT_FOUND ? IDE_REFRESH_INVALID : r;
        if (u.disabled)
                return IDE_ACCOUNT_DISABLED;
        return issue_tokens(app, &u, rt.family_id, ret_tokens);
}

int identity_logout(struct identity_app *app, const struct identity_caller *caller,
                    const char *refresh_token)
{
        /* until the last moment a guard could still accept it: exp plus the leeway */
        int64_t left = caller->expires_at + app->cfg.token_leeway_s - now(app);
        int r = app->revoker.ops->revoke_token(app->revoker.self, caller->jti, left > 0 ? left : 1);
        if (r < 0 || !refresh_token || !*refresh_token)
                return r;
        char hash[65];
        app->digest.ops->sha256_hex(app->digest.self, refresh_token, hash);
        return app->refresh.ops->revoke(app->refresh.self, hash, caller->user_id);
}

int identity_issue_service_token(struct identity_app *app, const char *service_name,
                                 const char *client_secret, char **ret_token,
                                 int64_t *ret_expires_at)
{
        const struct identity_service_client *client = NULL;
        for (size_t i = 0; i < app->cfg.n_service_clients; i++)
                if (!strcmp(app->cfg.service_clients[i].name, service_name))
                        client = &app->cfg.service_clients[i];
        /* compare even for unknown names, so timing does not tell which exist */
        bool ok = secrets_equal(client ? client->secret : "-", client_secret) && client;
        if (!ok)
                return IDE_SERVICE_CREDENTIALS;
        char subject[64], jti[33];
        snprintf(subject, sizeof(subject), "service:%.50s", service_name);
        new_jti(app, jti);
        int64_t at = now(app);
        int r = app->signer.ops->sign(app->signer.self, subject, ROLE_SERVICE, jti, at,
                                      app->cfg.service_token_ttl_s, ret_token);
        if (r == 0)
                *ret_expires_at = at + app->cfg.service_token_ttl_s;
        return r;
}

/* ---- addresses --------------------------------------------------------- */

int identity_add_address(struct identity_app *app, const struct identity_caller *caller,
                         struct identity_address *a)
{
        int r = identity_check_address(a);
        if (r != IDE_OK)
                return r;
        new_uuid(app, a->id);
        r = app->users.ops->add_address(app->users.self, caller->user_id, a,
                                        IDENTITY_MAX_ADDRESSES);
        return r == -ENOSPC ? IDE_ADDRESS_LIMIT : r;
}

int identity_list_addresses(struct identity_app *app, const struct identity_caller *caller,
                            struct identity_address ret[IDENTITY_MAX_ADDRESSES], size_t *ret_n)
{
        return app->users.ops->list_addresses(app->users.self, caller->user_id, ret,
                                              IDENTITY_MAX_ADDRESSES, ret_n);
}

int identity_remove_address(struct identity_app *app, const struct identity_caller *caller,
                            const char *address_id)
{
        int r = app->users.ops->remove_address(app->users.self, caller->user_id, address_id);
        return r == -ENOENT ? IDE_ADDRESS_NOT_FOUND : r;
}

/* ---- administration ---------------------------------------------------- */

/* Page tokens are opaque to clients: "u" + the last seq of the page. */
int identity_list_users(struct identity_app *app, const char *page_token, size_t page_size,
                        struct identity_user *ret, size_t *ret_n, char next_token[32])
{
        int64_t after;
        if (page_token_parse(page_token, 'u', &after) < 0)
                return IDE_PAGE_TOKEN_INVALID;
        /* one extra row tells whether another page follows */
        size_t n = 0;
        int r = app->users.ops->list(app->users.self, after, ret, page_size + 1, &n);
        if (r < 0)
                return r;
        next_token[0] = '\0';
        if (n > page_size) {
                n = page_size;
                page_token_format('u', ret[n - 1].seq, next_token);
        }
        *ret_n = n;
        return IDE_OK;
}

int identity_disable_user(struct identity_app *app, const char *user_id, struct identity_user *ret)
{
        int r = app->users.ops->set_disabled(app->users.self, user_id, true);
        if (r < 0)
                return r == -ENOENT ? IDE_USER_NOT_FOUND : r;
        /* tokens issued until now stop working at once; refresh tokens are gone */
        if ((r = app->revoker.ops->revoke_subject(app->revoker.self, user_id, now(app))) < 0 ||
            (r = app->refresh.ops->revoke_user(app->refresh.self, user_id)) < 0)
                return r;
        return identity_get_user(app, user_id, ret);
}

int identity_get_jwks(struct identity_app *app, struct identity_jwks *ret)
{
        return app->signer.ops->jwks(app->signer.self, ret);
}

void identity_jwks_clear(struct identity_jwks *k)
{
        free(k->document);
        k->document = NULL;
}
