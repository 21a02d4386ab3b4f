/* Redis pool on hiredis 0.14; see kv/kv.h. */
#include "kv/kv.h"
#include "kv-int.h"

#include "core/cause.h"
#include "core/config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv_conn {
        redisContext *ctx; /* NULL until opened / after an error */
        bool in_use;
};

struct kv {
        struct kv_config cfg; /* strings owned */
        pthread_mutex_t lock;
        pthread_cond_t released;
        struct kv_conn *conns;
        _Atomic uint64_t errors; /* commands that failed, for metrics */
};

int kv_config_from_env(struct kv_config *cfg, const char *prefix, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        char name[6][96];
        const char *suffix[] = {"HOST",
                                "PORT",
                                "PASSWORD",
                                "POOL_SIZE",
                                "CONNECT_TIMEOUT_MS",
                                "COMMAND_TIMEOUT_MS"};
        for (int i = 0; i < 6; i++)
                snprintf(name[i], sizeof(name[i]), "%s_%s", prefix, suffix[i]);
        const char *host, *password;
        long port, pool, connect_ms, command_ms;
        if (cfg_string(name[0], "127.0.0.1", &host, &e) < 0 ||
            cfg_int(name[1], 6379, 1, 65535, &port, &e) < 0 ||
            cfg_string(name[2], "", &password, &e) < 0 ||
            cfg_int(name[3], 8, 1, 1024, &pool, &e) < 0 ||
            cfg_int(name[4], 500, 1, 60000, &connect_ms, &e) < 0 ||
            cfg_int(name[5], 500, 1, 60000, &command_ms, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        *cfg = (struct kv_config){.host = host,
                                  .port = (int)port,
                                  .password = password,
                                  .pool_size = (int)pool,
                                  .connect_timeout_ms = (int)connect_ms,
                                  .command_timeout_ms = (int)command_ms};
        return 0;
}

int kv_new(struct kv **ret_kv, const struct kv_config *cfg)
{
        if (cfg->pool_size < 1 || !cfg->host)
                return -EINVAL;
        struct kv *kv = calloc(1, sizeof(*kv));
        if (!kv)
                return -ENOMEM;
        kv->cfg = *cfg;
        kv->cfg.host = strdup(cfg->host);
        kv->cfg.password = strdup(cfg->password ? cfg->password : "");
        kv->conns = calloc((size_t)cfg->pool_size, sizeof(*kv->conns));
        pthread_mutex_init(&kv->lock, NULL);
        pthread_cond_init(&kv->released, NULL);
        if (!kv->cfg.host || !kv->cfg.password || !kv->conns) {
                kv_free(kv);
                return -ENOMEM;
        }
        *ret_kv = kv;
        return 0;
}

void kv_free(struct kv *kv)
{
        if (!kv)
                return;
        for (int i = 0; kv->conns && i < kv->cfg.pool_size; i++)
                if (kv->conns[i].ctx)
                        redisFree(kv->conns[i].ctx);
        free(kv->conns);
        free((char *)kv->cfg.host);
        free((char *)kv->cfg.password);
        pthread_mutex_destroy(&kv->lock);
        pthread_cond_destroy(&kv->released);
        free(kv);
}

static struct timeval ms_to_tv(int ms)
{
        return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

static int map_ctx_error(const redisContext *ctx)
{
        if (ctx->err == REDIS_ERR_IO && (ctx->errstr[0] && strstr(ctx->errstr, "timed out")))
                return -ETIMEDOUT;
        if (ctx->err == REDIS_ERR_IO && errno == EAGAIN)
                return -ETIMEDOUT;
        return -ECONNRESET;
}

const struct kv_config *kv_config_of(const struct kv *kv)
{
        return &kv->cfg;
}

int kv_open_context(const struct kv_config *cfg, redisContext **ret_ctx)
{
        redisContext *ctx =
                redisConnectWithTimeout(cfg->host, cfg->port, ms_to_tv(cfg->connect_timeout_ms));
        if (!ctx)
                return -ENOMEM;
        if (ctx->err) {
                cause_set("redis %s:%d: %s", cfg->host, cfg->port, ctx->errstr);
                redisFree(ctx);
                return -ECONNREFUSED;
        }
        redisSetTimeout(ctx, ms_to_tv(cfg->command_timeout_ms));
        if (cfg->password && cfg->password[0]) {
                redisReply *r = redisCommand(ctx, "AUTH %s", cfg->password);
                bool ok = r && r->type != REDIS_REPLY_ERROR;
                if (r)
                        freeReplyObject(r);
                if (!ok) {
                        redisFree(ctx);
                        return -EACCES;
                }
        }
        *ret_ctx = ctx;
        return 0;
}

static int conn_open(struct kv *kv, struct kv_conn *c)
{
        return kv_open_context(&kv->cfg, &c->ctx);
}

static struct kv_conn *conn_acquire(struct kv *kv)
{
        struct kv_conn *c = NULL;
        pthread_mutex_lock(&kv->lock);
        for (;;) {
                for (int i = 0; i < kv->cfg.pool_size && !c; i++)
                        if (!kv->conns[i].in_use && kv->conns[i].ctx)
                                c = &kv->conns[i];
                for (int i = 0; i < kv->cfg.pool_size && !c; i++)
                        if (!kv->conns[i].in_use)
                                c = &kv->conns[i];
                if (c)
                        break;
                pthread_cond_wait(&kv->released, &kv->lock); /* commands are bounded by timeouts */
        }
        c->in_use = true;
        pthread_mutex_unlock(&kv->lock);
        return c;
}

static void conn_release(struct kv *kv, struct kv_conn *c)
{
        pthread_mutex_lock(&kv->lock);
        c->in_use = false;
        pthread_cond_signal(&kv->released);
        pthread_mutex_unlock(&kv->lock);
}

/* Sends one preformatted command on a pooled connection: opens it if needed
 * and drops it after an I/O error so the next command reconnects. */
static int run_formatted(struct kv *kv, redisReply **ret_reply, const char *cmd, size_t len)
{
        struct kv_conn *c = conn_acquire(kv);
        int r = c->ctx ? 0 : conn_open(kv, c);
        if (r == 0) {
                void *reply = NULL;
                if (redisAppendFormattedCommand(c->ctx, cmd, len) != REDIS_OK ||
                    redisGetReply(c->ctx, &reply) != REDIS_OK) {
                        r = map_ctx_error(c->ctx);
                        cause_set("redis: %s", c->ctx->errstr);
                        redisFree(c->ctx);
                        c->ctx = NULL;
                } else if (((redisReply *)reply)->type == REDIS_REPLY_ERROR) {
                        cause_set("redis: %s", ((redisReply *)reply)->str);
                        freeReplyObject(reply);
                        r = -EIO;
                } else {
                        *ret_reply = reply;
                }
        }
        conn_release(kv, c);
        if (r < 0)
                atomic_fetch_add_explicit(&kv->errors, 1, memory_order_relaxed);
        return r;
}

uint64_t kv_error_count(struct kv *kv)
{
        return atomic_load_explicit(&kv->errors, memory_order_relaxed);
}

static int run(struct kv *kv, redisReply **ret_reply, int argc, const char **argv,
               const size_t *argv_len)
{
        char *cmd = NULL;
        int len = redisFormatCommandArgv(&cmd, argc, argv, argv_len);
        if (len < 0)
                return -ENOMEM;
        int r = run_formatted(kv, ret_reply, cmd, (size_t)len);
        free(cmd);
        return r;
}

int kv_command_argv(struct kv *kv, redisReply **ret_reply, int argc, const char **argv,
                    const size_t *argv_len)
{
        return run(kv, ret_reply, argc, argv, argv_len);
}

int kv_command(struct kv *kv, redisReply **ret_reply, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *cmd = NULL;
        int len = redisvFormatCommand(&cmd, fmt, ap);
        va_end(ap);
        if (len < 0)
                return -ENOMEM;
        int r = run_formatted(kv, ret_reply, cmd, (size_t)len);
        free(cmd);
        return r;
}

int kv_get(struct kv *kv, const char *key, char **ret_value, size_t *ret_len)
{
        const char *argv[] = {"GET", key};
        redisReply *reply;
        int r = run(kv, &reply, 2, argv, NULL);
        if (r < 0)
                return r;
        if (reply->type != REDIS_REPLY_STRING) {
                freeReplyObject(reply);
                return -ENOENT;
        }
        char *v = malloc(reply->len + 1);
        if (v) {
                memcpy(v, reply->str, reply->len);
                v[reply->len] = '\0';
                *ret_value = v;
                if (ret_len)
                        *ret_len = reply->len;
        }
        freeReplyObject(reply);
        return v ? 0 : -ENOMEM;
}

int kv_set(struct kv *kv, const char *key, const void *value, size_t len, int64_t ttl_ms)
{
        char ttl[32];
        snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
        const char *argv[] = {"SET", key, value, "PX", ttl};
        size_t argv_len[] = {3, strlen(key), len, 2, strlen(ttl)};
        redisReply *reply;
        int r = run(kv, &reply, ttl_ms > 0 ? 5 : 3, argv, argv_len);
        if (r == 0)
                freeReplyObject(reply);
        return r;
}

int kv_del(struct kv *kv, const char *key, int64_t *ret_deleted)
{
        const char *argv[] = {"DEL", key};
        redisReply *reply;
        int r = run(kv, &reply, 2, argv, NULL);
        if (r < 0)
                return r;
        if (ret_deleted)
                *ret_deleted = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
        freeReplyObject(reply);
        return 0;
}

int kv_ping(struct kv *kv)
{
        const char *argv[] = {"PING"};
        redisReply *reply;
        int r = run(kv, &reply, 1, argv, NULL);
        if (r == 0)
                freeReplyObject(reply);
        return r;
}

int kv_publish(struct kv *kv, const char *channel, const void *message, size_t len)
{
        const char *argv[] = {"PUBLISH", channel, message};
        size_t argv_len[] = {7, strlen(channel), len};
        redisReply *reply;
        int r = run(kv, &reply, 3, argv, argv_len);
        if (r == 0)
                freeReplyObject(reply);
        return r;
}
