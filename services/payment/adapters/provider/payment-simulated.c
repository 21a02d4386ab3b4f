/* The simulated provider; see payment-simulated.h. */
#include "payment-simulated.h"

#include "core/random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One remembered authorization, kept small: the declines are the three
 * reasons this provider gives, the reference "sim_" and 24 hex digits. */
struct sim_entry {
        char key[65];
        char reference[29];
        uint8_t attempts; /* tok_flaky failures served so far */
        bool done, approved;
        uint8_t decline; /* index in declines; 0 when approved */
        uint32_t hash;
        int32_t next; /* in its bucket's chain, -1: last */
};

static const char *const declines[] = {"", "card_declined", "insufficient_funds", "unknown_token"};

int payment_simulated_init(struct payment_simulated *sim, int flaky_failures, size_t max_keys)
{
        memset(sim, 0, sizeof(*sim));
        if (max_keys == 0 || max_keys > INT32_MAX / 2)
                return -EINVAL;
        sim->flaky_failures = flaky_failures;
        sim->max_keys = max_keys;
        for (sim->n_buckets = 16; sim->n_buckets < 2 * max_keys;)
                sim->n_buckets *= 2;
        /* calloc: pages of slots never used are never touched */
        sim->entries = calloc(max_keys, sizeof(*sim->entries));
        sim->buckets = malloc(sim->n_buckets * sizeof(*sim->buckets));
        if (!sim->entries || !sim->buckets) {
                payment_simulated_destroy(sim);
                return -ENOMEM;
        }
        memset(sim->buckets, 0xff, sim->n_buckets * sizeof(*sim->buckets)); /* -1 */
        pthread_mutex_init(&sim->lock, NULL);
        return 0;
}

void payment_simulated_destroy(struct payment_simulated *sim)
{
        if (sim->buckets && sim->entries)
                pthread_mutex_destroy(&sim->lock);
        free(sim->entries);
        free(sim->buckets);
        sim->entries = NULL;
        sim->buckets = NULL;
}

static uint32_t hash_of(const char *key)
{
        uint32_t h = 2166136261u; /* FNV-1a */
        for (; *key; key++)
                h = (h ^ (unsigned char)*key) * 16777619u;
        return h;
}

static int32_t *bucket_of(struct payment_simulated *sim, uint32_t hash)
{
        return &sim->buckets[hash & (sim->n_buckets - 1)];
}

/* Takes slot i out of its bucket's chain. */
static void unlink_entry(struct payment_simulated *sim, int32_t i)
{
        for (int32_t *at = bucket_of(sim, sim->entries[i].hash); *at >= 0;
             at = &sim->entries[*at].next)
                if (*at == i) {
                        *at = sim->entries[i].next;
                        return;
                }
}

/* The entry for key, a new one (in the oldest slot once all are used) when
 * absent. Locked. */
static struct sim_entry *entry_for(struct payment_simulated *sim, const char *key)
{
        uint32_t hash = hash_of(key);
        int32_t *head = bucket_of(sim, hash);
        for (int32_t i = *head; i >= 0; i = sim->entries[i].next)
                if (sim->entries[i].hash == hash && !strcmp(sim->entries[i].key, key))
                        return &sim->entries[i];
        int32_t slot;
        if (sim->n < sim->max_keys) {
                slot = (int32_t)sim->n++;
        } else { /* forget the oldest */
                slot = (int32_t)sim->oldest;
                sim->oldest = (sim->oldest + 1) % sim->max_keys;
                unlink_entry(sim, slot);
        }
        struct sim_entry *e = &sim->entries[slot];
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->hash = hash;
        e->next = *head;
        *head = slot;
        return e;
}

static void result_of(const struct sim_entry *e, struct payment_provider_result *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->approved = e->approved;
        snprintf(ret->decline_reason, sizeof(ret->decline_reason), "%s", declines[e->decline]);
        snprintf(ret->reference, sizeof(ret->reference), "%s", e->reference);
}

static uint8_t decline_for(const char *token)
{
        if (!strcmp(token, "tok_decline"))
                return 1;
        if (!strcmp(token, "tok_insufficient_funds"))
                return 2;
        return strcmp(token, "tok_ok") && strcmp(token, "tok_slow") && strcmp(token, "tok_flaky")
                       ? 3
                       : 0;
}

static int sim_authorize(void *self, const char *key, const char *token,
                         const struct payment_money *amount, int64_t deadline_left_ms,
                         struct payment_provider_result *ret)
{
        struct payment_simulated *sim = self;
        pthread_mutex_lock(&sim->lock);
        struct sim_entry *e = entry_for(sim, key);
        int r = 0;
        bool slow = false;
        if (e->done) {
                result_of(e, ret); /* the same key again: the same answer, no second charge */
        } else if (!strcmp(token, "tok_flaky") && e->attempts < sim->flaky_failures) {
                e->attempts++;
                r = -EAGAIN;
        } else {
                e->decline = decline_for(token);
                e->approved = e->decline == 0;
                memcpy(e->reference, "sim_", 4);
                random_hex(e->reference + 4, 12);
                e->done = true;
                result_of(e, ret);
                slow = !strcmp(token, "tok_slow");
        }
        pthread_mutex_unlock(&sim->lock);
        if (slow) { /* answer after the caller has given up (the saga retries and gets this result)
                     */
                int64_t ms = deadline_left_ms >= 0 ? deadline_left_ms + 200 : 3000;
                if (ms > 10000)
                        ms = 10000;
                struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
        }
        return r;
}

static int sim_settle(void *self, const char *reference)
{
        return reference && !strncmp(reference, "sim_", 4) ? 0 : -EINVAL;
}

static const struct payment_provider_ops simulated_ops = {
        .authorize = sim_authorize,
        .capture = sim_settle,
        .void_authorization = sim_settle,
        .refund = sim_settle,
};

struct payment_provider payment_provider_simulated(struct payment_simulated *sim)
{
        return (struct payment_provider){.ops = &simulated_ops, .self = sim};
}
