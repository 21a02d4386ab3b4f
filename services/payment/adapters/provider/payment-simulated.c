/* The simulated provider; see payment-simulated.h. */
#include "payment-simulated.h"

#include "core/random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sim_entry {
        char key[65];
        int attempts; /* tok_flaky failures served so far */
        bool done;
        struct payment_provider_result result;
};

int payment_simulated_init(struct payment_simulated *sim, int flaky_failures)
{
        memset(sim, 0, sizeof(*sim));
        sim->flaky_failures = flaky_failures;
        pthread_mutex_init(&sim->lock, NULL);
        return 0;
}

void payment_simulated_destroy(struct payment_simulated *sim)
{
        free(sim->entries);
        pthread_mutex_destroy(&sim->lock);
}

/* The entry for key, created when absent; NULL when out of memory. Locked. */
static struct sim_entry *entry_for(struct payment_simulated *sim, const char *key)
{
        for (size_t i = 0; i < sim->n; i++)
                if (!strcmp(sim->entries[i].key, key))
                        return &sim->entries[i];
        if (sim->n == sim->cap) {
                size_t cap = sim->cap ? sim->cap * 2 : 64;
                struct sim_entry *e = realloc(sim->entries, cap * sizeof(*e));
                if (!e)
                        return NULL;
                sim->entries = e;
                sim->cap = cap;
        }
        struct sim_entry *e = &sim->entries[sim->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        return e;
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
        if (!e) {
                r = -ENOMEM;
        } else if (e->done) {
                *ret = e->result; /* the same key again: the same answer, no second charge */
        } else if (!strcmp(token, "tok_flaky") && e->attempts < sim->flaky_failures) {
                e->attempts++;
                r = -EAGAIN;
        } else {
                struct payment_provider_result res = {.approved = true};
                if (!strcmp(token, "tok_decline"))
                        res = (struct payment_provider_result){.decline_reason = "card_declined"};
                else if (!strcmp(token, "tok_insufficient_funds"))
                        res = (struct payment_provider_result){.decline_reason =
                                                                       "insufficient_funds"};
                else if (strcmp(token, "tok_ok") && strcmp(token, "tok_slow") &&
                         strcmp(token, "tok_flaky"))
                        res = (struct payment_provider_result){.decline_reason = "unknown_token"};
                memcpy(res.reference, "sim_", 4);
                random_hex(res.reference + 4, 12);
                e->result = res;
                e->done = true;
                *ret = res;
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
