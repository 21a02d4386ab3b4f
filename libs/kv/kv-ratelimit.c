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
