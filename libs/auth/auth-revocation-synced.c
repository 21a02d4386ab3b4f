/* In-process revocation set synced from Redis; see auth/revocation-synced.h
 * and, for the Redis side, auth-revocation-redis.c. */
#include "auth/revocation-synced.h"
#include "auth-int.h"

#include "core/cause.h"
#include "core/clock.h"
#include "core/config.h"
#include "kv/sub.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

struct revoked {
        UT_hash_handle hh;
        int64_t until_s; /* a token: when it expires; a subject: tokens issued at or before */
        char id[];
};

struct tables {
        struct revoked *tokens, *subjects;
};

struct auth_revocation_set {
        struct kv *kv;
        struct auth_revocation_sync_config cfg;
        struct kv_sub *sub;
        pthread_rwlock_t lock;
        struct tables t;
};

int auth_revocation_sync_config_from_env(struct auth_revocation_sync_config *cfg, char *err,
                                         size_t err_len)
{
        struct cfg_error e = {{0}};
        long bound, resync;
        if (cfg_int("BOOKSTORE_REVOCATION_SYNC_BOUND_MS", 1000, 20, 60000, &bound, &e) < 0 ||
            cfg_int("BOOKSTORE_REVOCATION_RESYNC_MS", 60000, 100, 86400000, &resync, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        *cfg = (struct auth_revocation_sync_config){.bound_ms = (int)bound,
                                                    .resync_interval_ms = (int)resync};
        return 0;
}

static void tables_clear(struct tables *t)
{
        struct revoked *e, *tmp;
        HASH_ITER(hh, t->tokens, e, tmp)
        {
                HASH_DEL(t->tokens, e);
                free(e);
        }
        HASH_ITER(hh, t->subjects, e, tmp)
        {
                HASH_DEL(t->subjects, e);
                free(e);
        }
}

static int table_put(struct revoked **table, const char *id, size_t len, int64_t until_s)
{
        struct revoked *e;
        HASH_FIND(hh, *table, id, len, e);
        if (e) {
                e->until_s = until_s;
                return 0;
        }
        if (!(e = malloc(sizeof(*e) + len + 1)))
                return -ENOMEM;
        e->until_s = until_s;
        memcpy(e->id, id, len);
        e->id[len] = '\0';
        HASH_ADD_KEYPTR(hh, *table, e->id, len, e);
        return 0;
}

static void table_remove(struct revoked **table, const char *id, size_t len)
{
        struct revoked *e;
        HASH_FIND(hh, *table, id, len, e);
        if (e) {
                HASH_DEL(*table, e);
                free(e);
        }
}

/* "j <expires_s> <jti>", "s <before_s> <subject>", "u <subject>" */
static void on_message(void *ctx, const char *msg, size_t len)
{
        struct auth_revocation_set *s = ctx;
        char kind = len > 2 ? msg[0] : 0;
        const char *rest = msg + 2, *end = msg + len;
        int64_t until = 0;
        if (kind == 'j' || kind == 's') {
                char *after;
                until = strtoll(rest, &after, 10);
                if (after >= end || *after != ' ')
                        return;
                rest = after + 1;
        } else if (kind != 'u') {
                return;
        }
        pthread_rwlock_wrlock(&s->lock);
        if (kind == 'j')
                table_put(&s->t.tokens, rest, (size_t)(end - rest), until);
        else if (kind == 's')
                table_put(&s->t.subjects, rest, (size_t)(end - rest), until);
        else
                table_remove(&s->t.subjects, rest, (size_t)(end - rest));
        pthread_rwlock_unlock(&s->lock);
}

/* A reply of (id, number) pairs -- ZRANGEBYSCORE WITHSCORES, HGETALL -- into a table. */
static int put_pairs(struct revoked **table, int r, redisReply *reply)
{
        if (r < 0)
                return r;
        for (size_t i = 0; r == 0 && reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements;
             i += 2)
                r = table_put(table, reply->element[i]->str, reply->element[i]->len,
                              strtoll(reply->element[i + 1]->str, NULL, 10));
        freeReplyObject(reply);
        return r;
}

/* The whole set from Redis, swapped in at once; expired tokens are left out. */
static int on_resync(void *ctx)
{
        struct auth_revocation_set *s = ctx;
        struct tables fresh = {0};
        redisReply *reply = NULL;
        int r = kv_command(s->kv, &reply, "ZRANGEBYSCORE %s (%" PRId64 " +inf WITHSCORES",
                           AUTH_REVOKED_TOKENS_KEY, clock_realtime_ms() / 1000);
        r = put_pairs(&fresh.tokens, r, reply);
        if (r == 0) {
                r = kv_command(s->kv, &reply, "HGETALL %s", AUTH_REVOKED_SUBJECTS_KEY);
                r = put_pairs(&fresh.subjects, r, reply);
        }
        if (r < 0) {
                tables_clear(&fresh);
                return r;
        }
        pthread_rwlock_wrlock(&s->lock);
        struct tables old = s->t;
        s->t = fresh;
        pthread_rwlock_unlock(&s->lock);
        tables_clear(&old);
        return 0;
}

static int synced_check(void *self, const struct auth_principal *p, bool *ret_revoked)
{
        struct auth_revocation_set *s = self;
        int64_t synced_at = kv_sub_synced_at_ms(s->sub);
        if (!synced_at || clock_monotonic_ms() - synced_at > s->cfg.bound_ms) {
                cause_set("revocations not in sync with redis for over %d ms", s->cfg.bound_ms);
                return -ETIMEDOUT;
        }
        int64_t now_s = clock_realtime_ms() / 1000;
        bool revoked = false;
        struct revoked *e;
        pthread_rwlock_rdlock(&s->lock);
        HASH_FIND_STR(s->t.tokens, p->jti, e);
        revoked = e && e->until_s > now_s;
        HASH_FIND_STR(s->t.subjects, p->subject, e);
        revoked |= e && p->issued_at <= e->until_s;
        pthread_rwlock_unlock(&s->lock);
        *ret_revoked = revoked;
        return 0;
}

static const struct auth_revocation_ops synced_ops = {.check = synced_check};

struct auth_revocations auth_revocations_synced(struct auth_revocation_set *set)
{
        return (struct auth_revocations){.ops = &synced_ops, .self = set};
}

int auth_revocation_set_start(struct auth_revocation_set **ret_set, struct kv *kv,
                              const struct auth_revocation_sync_config *cfg)
{
        struct auth_revocation_set *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->kv = kv;
        s->cfg = *cfg;
        pthread_rwlock_init(&s->lock, NULL);
        /* four PINGs per bound: one late answer does not fail calls */
        struct kv_sub_config sc = {.channel = AUTH_REVOKED_CHANNEL,
                                   .ping_interval_ms =
                                           cfg->bound_ms / 4 > 0 ? cfg->bound_ms / 4 : 1,
                                   .on_message = on_message,
                                   .on_resync = on_resync,
                                   .resync_interval_ms = cfg->resync_interval_ms,
                                   .ctx = s};
        int r = kv_sub_start(&s->sub, kv, &sc);
        if (r < 0) {
                pthread_rwlock_destroy(&s->lock);
                free(s);
                return r;
        }
        for (int waited = 0; !kv_sub_synced_at_ms(s->sub) && waited < 2000; waited += 10)
                nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
        *ret_set = s;
        return 0;
}

void auth_revocation_set_stop(struct auth_revocation_set *s)
{
        if (!s)
                return;
        kv_sub_stop(s->sub);
        tables_clear(&s->t);
        pthread_rwlock_destroy(&s->lock);
        free(s);
}
