/* identity: composition root. Reads configuration from the environment,
 * builds the adapters, hands them to the use cases through the ports, and
 * serves bookstore.identity.v1 (plus health and reflection) until SIGTERM. */
#include "core/config.h"
#include "core/log.h"
#include "svc/svc.h"
#include "db/db.h"
#include "identity-app.h"
#include "identity-grpc.h"
#include "identity-mysql.h"
#include "identity-redis.h"
#include "identity-signer-jwt.h"
#include "identity-sodium.h"
#include "auth/revocation-redis.h"
#include "bookstore/identity/v1/identity.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SERVICE_CLIENTS = 16 };

struct identity_main {
        struct svc *svc;
        struct identity_argon2_config argon2;
        struct identity_service_client clients[MAX_SERVICE_CLIENTS];
        char *clients_text;
        struct identity_signer_jwt signer;
        struct identity_app app;
};

/* "name:secret,name2:secret2" */
static int parse_clients(struct identity_main *m, char *err, size_t err_len)
{
        const char *text = getenv("BOOKSTORE_IDENTITY_SERVICE_CLIENTS");
        if (!text || !*text)
                return 0;
        m->clients_text = strdup(text);
        char *save = NULL;
        size_t n = 0;
        for (char *item = strtok_r(m->clients_text, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(item, ':');
                if (!colon || colon == item || strlen(colon + 1) < 16 || n == MAX_SERVICE_CLIENTS) {
                        snprintf(err, err_len,
                                 "BOOKSTORE_IDENTITY_SERVICE_CLIENTS: expected name:secret pairs "
                                 "(secrets of 16+ characters, at most %d)",
                                 MAX_SERVICE_CLIENTS);
                        return -EINVAL;
                }
                *colon = '\0';
                m->clients[n++] = (struct identity_service_client){item, colon + 1};
        }
        m->app.cfg.service_clients = m->clients;
        m->app.cfg.n_service_clients = n;
        return 0;
}

static int read_config(struct identity_main *m, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        long access, refresh, svc, per_peer, window, ops, register_per_peer, wait;
        long free_failures, account_free, delay, max_delay, failure_window;
        size_t mem, budget;
        const struct svc_options opts = {.name = "IDENTITY",
                                         .default_addr = "0.0.0.0:50051",
                                         .default_db = "bookstore_identity",
                                         .wants_signing_key = true,
                                         .publishes_events = true}; /* user.registered */
        if (svc_new(&m->svc, &opts, err, err_len) < 0 || parse_clients(m, err, err_len) < 0)
                return -EINVAL;
        cfg_string("BOOKSTORE_IDENTITY_LIMIT_NAMESPACE", "identity", &m->app.cfg.limit_namespace,
                   &e);
        cfg_string("BOOKSTORE_IDENTITY_TRUSTED_PROXIES", "", &m->app.cfg.trusted_proxies, &e);
        cfg_string("BOOKSTORE_IDENTITY_CLIENT_IP_HEADER", "x-forwarded-for",
                   &m->app.cfg.client_ip_header, &e);
        if (cfg_int("BOOKSTORE_IDENTITY_ACCESS_TTL_S", 900, 60, 86400, &access, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_REFRESH_TTL_S", 7 * 86400, 300, 90 * 86400, &refresh, &e) <
                    0 ||
            cfg_int("BOOKSTORE_IDENTITY_SERVICE_TOKEN_TTL_S", 300, 30, 3600, &svc, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_FREE_FAILURES", 5, 1, 10000, &free_failures, &e) <
                    0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_ACCOUNT_FREE_FAILURES", 50, 1, 1000000, &account_free,
                    &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_DELAY_MS", 1000, 1, 3600000, &delay, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_MAX_DELAY_MS", 60000, 1, 86400000, &max_delay, &e) <
                    0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_FAILURE_WINDOW_MS", 900000, 1000, 86400000,
                    &failure_window, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_LIMIT_PER_PEER", 50, 1, 100000, &per_peer, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_LOGIN_WINDOW_MS", 60000, 1000, 3600000, &window, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_ARGON2_OPSLIMIT", 2, 1, 20, &ops, &e) < 0 ||
            cfg_size("BOOKSTORE_IDENTITY_ARGON2_MEMLIMIT", 64 << 20, 8 << 10, (size_t)1 << 30, &mem,
                     &e) < 0 ||
            cfg_size("BOOKSTORE_IDENTITY_HASH_MEMORY_BUDGET", 128 << 20, 8 << 10, (size_t)16 << 30,
                     &budget, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_HASH_WAIT_MS", 3000, 0, 60000, &wait, &e) < 0 ||
            cfg_int("BOOKSTORE_IDENTITY_REGISTER_LIMIT_PER_PEER", 20, 1, 100000, &register_per_peer,
                    &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        m->app.cfg.access_ttl_s = access;
        m->app.cfg.token_leeway_s = svc_token_params(m->svc)->leeway_s;
        m->app.cfg.refresh_ttl_s = refresh;
        m->app.cfg.service_token_ttl_s = svc;
        m->app.cfg.login_throttle_peer =
                (struct identity_throttle){free_failures, delay, max_delay};
        m->app.cfg.login_throttle_account =
                (struct identity_throttle){account_free, delay, max_delay};
        m->app.cfg.login_failure_window_ms = failure_window;
        m->app.cfg.login_limit_per_peer = (int)per_peer;
        m->app.cfg.register_limit_per_peer = (int)register_per_peer;
        m->app.cfg.login_window_ms = window;
        m->argon2 = (struct identity_argon2_config){.opslimit = (unsigned long long)ops,
                                                    .memlimit = mem,
                                                    .memory_budget = budget,
                                                    .wait_ms = (int)wait};
        return 0;
}

static int register_service(struct rpc_server *server, void *app)
{
        return identity_grpc_register(server, app);
}

static int wire(struct identity_main *m, char *err, size_t err_len)
{
        int r;
        if ((r = identity_sodium_init()) < 0 ||
            (r = svc_connect(m->svc, identity_migrations, identity_migrations_count, err,
                             err_len)) < 0)
                return r;
        m->signer = (struct identity_signer_jwt){.keys = svc_keys(m->svc),
                                                 .params = svc_token_params(m->svc)};
        m->app.users = identity_users_mysql(svc_db(m->svc));
        m->app.refresh = identity_refresh_mysql(svc_db(m->svc));
        m->app.hasher = identity_hasher_argon2(&m->argon2);
        m->app.signer = identity_signer_jwt(&m->signer);
        m->app.revoker = identity_revoker_redis(svc_kv(m->svc));
        m->app.limiter = identity_limiter_redis(svc_kv(m->svc));
        m->app.env = core_env_system();
        m->app.digest = identity_digest_sodium();
        if ((r = identity_app_init(&m->app)) < 0)
                return r;
        const char *admin_email = getenv("BOOKSTORE_ADMIN_EMAIL");
        const char *admin_password = getenv("BOOKSTORE_ADMIN_PASSWORD");
        if (admin_email && *admin_email) {
                bool created = false;
                r = identity_ensure_admin(&m->app, admin_email,
                                          admin_password ? admin_password : "", &created);
                if (r != IDE_OK) {
                        snprintf(err, err_len, "BOOKSTORE_ADMIN_EMAIL/PASSWORD: %s",
                                 r > 0 ? identity_error_message(r) : strerror(-r));
                        return -EINVAL;
                }
                if (created)
                        log_msg(LOG_INFO, "first admin created", "{s:s}", "email", admin_email);
        }
        struct svc_server_spec spec = {
                .service = &bookstore__identity__v1__identity_service__descriptor,
                .register_service = register_service,
                .app = &m->app,
        };
        return svc_build(m->svc, &spec, err, err_len);
}

static void teardown(struct identity_main *m)
{
        svc_free(m->svc);
        free(m->clients_text);
}

int main(void)
{
        log_set_service("identity");
        rpc_block_signals();
        struct identity_main m = {0};
        char err[512] = "";
        int r = read_config(&m, err, sizeof(err));
        if (r == 0)
                r = wire(&m, err, sizeof(err));
        if (r == 0)
                r = svc_run(m.svc, err, sizeof(err));
        teardown(&m);
        return svc_exit_code("identity", r, err);
}
