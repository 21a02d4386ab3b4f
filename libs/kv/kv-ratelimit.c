/* Sliding-window rate limiter; see kv/ratelimit.h. */
#include "kv/ratelimit.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* KEYS[1] = key; ARGV = now_ms, window_ms, limit, unique member.
 * Returns {allowed (0/1), count, retry_after_ms}. */
static const char sliding_window_lua[] =
        "local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), "
        "tonumber(ARGV[3])\n"
        "redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)\n"
        "local n = redis.call('ZCARD', key)\n"
        "if n < limit then\n"
        "  redis.call('ZADD', key, now, ARGV[4])\n"
        "  redis.call('PEXPIRE', key, window)\n"
        "  return {1, n + 1, 0}\n"
        "end\n"
        "local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')\n"
        "return {0, n, tonumber(oldest[2]) + window - now}\n";

/* KEYS[1] = key; ARGV = now_ms, window_ms, unique member. Returns {count,
 * newest score or 0} before the member is added. */
static const char failures_claim_lua[] =
        "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))\n"
        "local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')\n"
        "local n = redis.call('ZCARD', KEYS[1])\n"
        "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])\n"
        "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
        "return {n, tonumber(newest[2] or 0)}\n";

static atomic_ulong hit_sequence;

int kv_rate_limit_hit(struct kv *kv, const char *key, int limit, int64_t window_ms, int64_t now_ms,
                      struct kv_rate_limit_result *ret)
{
        if (limit < 1 || window_ms < 1)
                return -EINVAL;
        char now[32], window[32], lim[16], member[64];
        snprintf(now, sizeof(now), "%lld", (long long)now_ms);
        snprintf(window, sizeof(window), "%lld", (long long)window_ms);
        snprintf(lim, sizeof(lim), "%d", limit);
        /* unique per hit, also across processes hitting the same key */
        snprintf(member, sizeof(member), "%lld-%d-%lu", (long long)now_ms, (int)getpid(),
                 atomic_fetch_add(&hit_sequence, 1));
        const char *argv[] = {"EVAL", sliding_window_lua, "1", key, now, window, lim, member};
        redisReply *reply;
        int r = kv_command_argv(kv, &reply, 8, argv, NULL);
        if (r < 0)
                return r;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
                freeReplyObject(reply);
                return -EIO;
        }
        *ret = (struct kv_rate_limit_result){
                .allowed = reply->element[0]->integer == 1,
                .count = reply->element[1]->integer,
                .retry_after_ms = reply->element[2]->integer,
        };
        freeReplyObject(reply);
        return 0;
}

int kv_failures_claim(struct kv *kv, const char *key, int64_t window_ms, int64_t now_ms,
                      struct kv_failures *ret, char member[64])
{
        char now[32], window[32];
        snprintf(now, sizeof(now), "%lld", (long long)now_ms);
        snprintf(window, sizeof(window), "%lld", (long long)window_ms);
        snprintf(member, 64, "%lld-%d-%lu", (long long)now_ms, (int)getpid(),
                 atomic_fetch_add(&hit_sequence, 1));
        const char *argv[] = {"EVAL", failures_claim_lua, "1", key, now, window, member};
        redisReply *reply;
        int r = kv_command_argv(kv, &reply, 7, argv, NULL);
        if (r < 0)
                return r;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
                freeReplyObject(reply);
                return -EIO;
        }
        *ret = (struct kv_failures){.count = reply->element[0]->integer,
                                    .last_ms = reply->element[1]->integer};
        freeReplyObject(reply);
        return 0;
}

int kv_failures_withdraw(struct kv *kv, const char *key, const char *member)
{
        const char *argv[] = {"ZREM", key, member};
        redisReply *reply;
        int r = kv_command_argv(kv, &reply, 3, argv, NULL);
        if (r == 0)
                freeReplyObject(reply);
        return r;
}
