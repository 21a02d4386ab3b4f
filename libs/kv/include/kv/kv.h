/* libs/kv: Redis through hiredis, with a small connection pool.
 *
 * Every command has the configured timeout; a connection that saw an I/O
 * error is dropped and reopened on next use (hiredis contexts are dead after
 * one). Errors: -ECONNREFUSED when Redis cannot be reached, -ETIMEDOUT,
 * -ECONNRESET for I/O errors mid-command, -ENOENT for a missing key, -EIO for
 * a Redis error reply. Callers decide what an outage means (a cache falls
 * back to the database; token revocation fails closed).
 *
 * Threading: thread-safe; each command borrows a pooled connection. */
#pragma once

#include <hiredis.h>
#include <stddef.h>
#include <stdint.h>

struct kv_config {
        const char *host;
        int port;
        const char *password; /* "" for none */
        int pool_size;
        int connect_timeout_ms;
        int command_timeout_ms;
};

/* Reads PREFIX_HOST, _PORT, _PASSWORD, _POOL_SIZE, _CONNECT_TIMEOUT_MS,
 * _COMMAND_TIMEOUT_MS (prefix e.g. "BOOKSTORE_REDIS"). */
int kv_config_from_env(struct kv_config *cfg, const char *prefix, char *err, size_t err_len);

struct kv;

int kv_new(struct kv **ret_kv, const struct kv_config *cfg);
/* Accepts NULL. */
void kv_free(struct kv *kv);

/* Any command, printf-style as redisCommand(); *ret_reply is the reply to
 * free with freeReplyObject() (error replies give -EIO and no reply). */
int kv_command(struct kv *kv, redisReply **ret_reply, const char *fmt, ...);
int kv_command_argv(struct kv *kv, redisReply **ret_reply, int argc, const char **argv,
                    const size_t *argv_len);

/* Typed helpers. kv_get: *ret_value is malloc'd and NUL-terminated. */
int kv_get(struct kv *kv, const char *key, char **ret_value, size_t *ret_len);
/* ttl_ms <= 0: no expiry. */
int kv_set(struct kv *kv, const char *key, const void *value, size_t len, int64_t ttl_ms);
/* *ret_deleted (may be NULL) is how many keys existed. */
int kv_del(struct kv *kv, const char *key, int64_t *ret_deleted);
int kv_ping(struct kv *kv);
/* PUBLISH on a channel (kv/sub.h receives it). */
int kv_publish(struct kv *kv, const char *channel, const void *message, size_t len);
/* Commands that failed so far (unreachable, timed out, or an error reply). */
uint64_t kv_error_count(struct kv *kv);
