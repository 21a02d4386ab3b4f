/* Pub/sub subscription with a sync horizon; see kv/sub.h. */
#include "kv/sub.h"
#include "kv-int.h"

#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STOP_CHECK_MS = 50, RETRY_MS = 100 };

struct kv_sub {
        struct kv_config kv; /* a copy, strings owned: the pool may go first */
        struct kv_sub_config cfg;
        pthread_t thread;
        atomic_bool stop;
        _Atomic int64_t synced_at_ms;
        _Atomic uint64_t connects;
        int64_t pong_timeout_ms; /* a PING unanswered this long: the link is dead */
};

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

static bool reply_is(const redisReply *r, const char *kind, size_t n)
{
        return r->type == REDIS_REPLY_ARRAY && r->elements >= n &&
               r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, kind);
}

static bool send_command(redisContext *c, const char *cmd, const char *arg)
{
        int r = arg ? redisAppendCommand(c, "%s %s", cmd, arg) : redisAppendCommand(c, "%s", cmd);
        int done = 0;
        while (r == REDIS_OK && !done)
                r = redisBufferWrite(c, &done);
        return r == REDIS_OK;
}

/* SUBSCRIBE and its confirmation (blocking, within the command timeout). */
static bool subscribe(struct kv_sub *s, redisContext *c)
{
        void *reply = NULL;
        if (!send_command(c, "SUBSCRIBE", s->cfg.channel) || redisGetReply(c, &reply) != REDIS_OK)
                return false;
        bool ok = reply_is(reply, "subscribe", 3);
        freeReplyObject(reply);
        return ok;
}

static bool resync(struct kv_sub *s)
{
        return !s->cfg.on_resync || s->cfg.on_resync(s->cfg.ctx) >= 0;
}

/* Serves one subscribed connection until it fails or the subscription stops. */
static void follow(struct kv_sub *s, redisContext *c)
{
        int64_t ping_sent = 0; /* 0: none outstanding */
        int64_t next_ping = clock_monotonic_ms(), next_resync = 0;
        if (s->cfg.resync_interval_ms > 0)
                next_resync = next_ping + s->cfg.resync_interval_ms;
        while (!atomic_load(&s->stop)) {
                int64_t now = clock_monotonic_ms();
                if (!ping_sent && now >= next_ping) {
                        if (!send_command(c, "PING", NULL))
                                return;
                        ping_sent = now;
                }
                if (ping_sent && now - ping_sent > s->pong_timeout_ms) {
                        log_msg(LOG_WARN, "subscription silent, reconnecting", "{s:s}", "channel",
                                s->cfg.channel);
                        return;
                }
                if (next_resync && now >= next_resync) {
                        if (!resync(s))
                                return;
                        next_resync = now + s->cfg.resync_interval_ms;
                }
                struct pollfd p = {.fd = c->fd, .events = POLLIN};
                int wait = STOP_CHECK_MS;
                if (!ping_sent && next_ping - now < wait)
                        wait = (int)(next_ping - now);
                int n = poll(&p, 1, wait < 0 ? 0 : wait);
                if (n < 0 && errno != EINTR)
                        return;
                if (n <= 0)
                        continue;
                if (redisBufferRead(c) != REDIS_OK)
                        return;
                void *reply = NULL;
                while (redisGetReplyFromReader(c, &reply) == REDIS_OK && reply) {
                        redisReply *r = reply;
                        if (reply_is(r, "message", 3) && r->element[2]->type == REDIS_REPLY_STRING)
                                s->cfg.on_message(s->cfg.ctx, r->element[2]->str,
                                                  r->element[2]->len);
                        else if (reply_is(r, "pong", 1) && ping_sent) {
                                atomic_store(&s->synced_at_ms, ping_sent);
                                next_ping = ping_sent + s->cfg.ping_interval_ms;
                                ping_sent = 0;
                        }
                        freeReplyObject(reply);
                        reply = NULL;
                }
                if (c->err)
                        return;
        }
}

static void *run(void *arg)
{
        struct kv_sub *s = arg;
        while (!atomic_load(&s->stop)) {
                redisContext *c = NULL;
                if (kv_open_context(&s->kv, &c) == 0 && subscribe(s, c)) {
                        /* subscribed first, then read: whatever is published
                         * from here on arrives as a message */
                        int64_t before = clock_monotonic_ms();
                        if (resync(s)) {
                                atomic_fetch_add(&s->connects, 1);
                                atomic_store(&s->synced_at_ms, before);
                                follow(s, c);
                        }
                }
                if (c)
                        redisFree(c);
                if (!atomic_load(&s->stop))
                        sleep_ms(RETRY_MS);
        }
        return NULL;
}

static void kv_sub_free(struct kv_sub *s)
{
        free((char *)s->kv.host);
        free((char *)s->kv.password);
        free(s);
}

int kv_sub_start(struct kv_sub **ret_sub, struct kv *kv, const struct kv_sub_config *cfg)
{
        if (!cfg->channel || cfg->ping_interval_ms <= 0 || !cfg->on_message)
                return -EINVAL;
        struct kv_sub *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->kv = *kv_config_of(kv);
        s->kv.host = strdup(s->kv.host);
        s->kv.password = strdup(s->kv.password ? s->kv.password : "");
        s->cfg = *cfg;
        if (!s->kv.host || !s->kv.password) {
                kv_sub_free(s);
                return -ENOMEM;
        }
        /* a round trip well past any healthy one, and never shorter than the interval */
        s->pong_timeout_ms = cfg->ping_interval_ms < 250 ? 250 : cfg->ping_interval_ms;
        int r = pthread_create(&s->thread, NULL, run, s);
        if (r != 0) {
                kv_sub_free(s);
                return -r;
        }
        *ret_sub = s;
        return 0;
}

void kv_sub_stop(struct kv_sub *s)
{
        if (!s)
                return;
        atomic_store(&s->stop, true);
        pthread_join(s->thread, NULL);
        kv_sub_free(s);
}

int64_t kv_sub_synced_at_ms(struct kv_sub *s)
{
        return atomic_load(&s->synced_at_ms);
}

uint64_t kv_sub_connects(struct kv_sub *s)
{
        return atomic_load(&s->connects);
}
