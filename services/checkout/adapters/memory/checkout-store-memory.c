/* The saga store in memory; see checkout-store-memory.h. */
#include "checkout-store-memory.h"

#include "checkout-codec.h"
#include "core/grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void checkout_memory_store_init(struct checkout_memory_store *m, struct core_env clock)
{
        memset(m, 0, sizeof(*m));
        m->clock = clock;
        pthread_mutex_init(&m->lock, NULL);
}

void checkout_memory_store_free(struct checkout_memory_store *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->rows[i].attempts);
                free(m->rows[i].actions);
        }
        free(m->rows);
        m->rows = NULL;
        pthread_mutex_destroy(&m->lock);
}

static int64_t store_now(struct checkout_memory_store *m)
{
        return core_env_now_ms(&m->clock);
}

static struct checkout_memory_row *row_of(struct checkout_memory_store *m, const char *id)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->rows[i].saga.id, id))
                        return &m->rows[i];
        return NULL;
}

/* What a row keeps of s: its columns, and what the codec's documents carry
 * (the same as the MariaDB store: checkout-codec.h). */
static int keep_state(const struct checkout_saga *s, struct checkout_saga *row)
{
        char *doc = checkout_codec_state(s);
        int r = doc ? checkout_codec_read_state(doc, row) : -ENOMEM;
        free(doc);
        return r;
}

static int kept_at_insert(const struct checkout_saga *s, struct checkout_saga *row)
{
        memset(row, 0, sizeof(*row));
        memcpy(row->id, s->id, sizeof(row->id));
        row->kind = s->kind;
        row->state.status = s->state.status;
        memcpy(row->customer_id, s->customer_id, sizeof(row->customer_id));
        memcpy(row->idempotency_key, s->idempotency_key, sizeof(row->idempotency_key));
        memcpy(row->order_id, s->order_id, sizeof(row->order_id));
        row->total = s->total;
        memcpy(row->trace_id, s->trace_id, sizeof(row->trace_id));
        row->created_ms = s->created_ms;
        row->updated_ms = s->updated_ms;
        char *doc = checkout_codec_input(s);
        int r = doc ? checkout_codec_read_input(doc, row) : -ENOMEM;
        free(doc);
        return r < 0 ? r : keep_state(s, row);
}

static int mem_insert(void *self, const struct checkout_saga *s, const char *owner,
                      int64_t lease_ms)
{
        struct checkout_memory_store *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n && !r; i++) {
                const struct checkout_saga *o = &m->rows[i].saga;
                if (!strcmp(o->id, s->id) ||
                    (o->kind == s->kind && !strcmp(o->customer_id, s->customer_id) &&
                     !strcmp(o->idempotency_key, s->idempotency_key)))
                        r = -EEXIST;
        }
        if (!r)
                r = grow_for_one(&m->rows, &m->cap, m->n, sizeof(*m->rows));
        struct checkout_memory_row *row = r ? NULL : &m->rows[m->n];
        if (row) {
                memset(row, 0, sizeof(*row));
                r = kept_at_insert(s, &row->saga);
        }
        if (!r) {
                m->n++;
                row->saga.seq = ++m->next_seq;
                snprintf(row->owner, sizeof(row->owner), "%s", owner);
                row->lease_until_ms = store_now(m) + lease_ms;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

/* The newest row matching, copied; -ENOENT when none. */
static int find_where(struct checkout_memory_store *m,
                      bool (*match)(const struct checkout_saga *s, const void *arg),
                      const void *arg, struct checkout_saga *ret)
{
        pthread_mutex_lock(&m->lock);
        const struct checkout_memory_row *found = NULL;
        for (size_t i = 0; i < m->n; i++)
                if (match(&m->rows[i].saga, arg))
                        found = &m->rows[i];
        if (found)
                *ret = found->saga;
        pthread_mutex_unlock(&m->lock);
        return found ? 0 : -ENOENT;
}

static bool by_id(const struct checkout_saga *s, const void *arg)
{
        return !strcmp(s->id, arg);
}

struct key_arg {
        const char *customer_id;
        enum checkout_kind kind;
        const char *key;
};

static bool by_key(const struct checkout_saga *s, const void *arg)
{
        const struct key_arg *k = arg;
        return s->kind == k->kind && !strcmp(s->customer_id, k->customer_id) &&
               !strcmp(s->idempotency_key, k->key);
}

static bool by_order(const struct checkout_saga *s, const void *arg)
{
        return !strcmp(s->order_id, arg);
}

static int mem_find(void *self, const char *id, struct checkout_saga *ret)
{
        return find_where(self, by_id, id, ret);
}

static int mem_find_by_key(void *self, const char *customer_id, enum checkout_kind kind,
                           const char *key, struct checkout_saga *ret)
{
        struct key_arg k = {customer_id, kind, key};
        return find_where(self, by_key, &k, ret);
}

static int mem_find_by_order(void *self, const char *order_id, struct checkout_saga *ret)
{
        return find_where(self, by_order, order_id, ret);
}

static bool unfinished(const struct checkout_memory_row *row)
{
        return !saga_is_final(row->saga.state.status);
}

static bool claimable(struct checkout_memory_store *m, const struct checkout_memory_row *row,
                      const char *owner)
{
        return unfinished(row) &&
               (!strcmp(row->owner, owner) || row->lease_until_ms < store_now(m));
}

static int mem_claim(void *self, const char *id, const char *owner, int64_t lease_ms,
                     struct checkout_saga *ret)
{
        struct checkout_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct checkout_memory_row *row = row_of(m, id);
        int r = row && claimable(m, row, owner) ? 0 : -ESTALE;
        if (!r) {
                snprintf(row->owner, sizeof(row->owner), "%s", owner);
                row->lease_until_ms = store_now(m) + lease_ms;
                row->saga.version++;
                *ret = row->saga;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

/* Writes s's state over its row (an operator's write); the owner's save
 * also writes the order and its total. The input is written once. */
static int overwrite(struct checkout_memory_row *row, const struct checkout_saga *s,
                     bool owners_save)
{
        struct checkout_saga *kept = &row->saga;
        int r = keep_state(s, kept);
        if (r < 0)
                return r;
        kept->state.status = s->state.status;
        kept->updated_ms = s->updated_ms;
        if (owners_save) {
                memcpy(kept->order_id, s->order_id, sizeof(kept->order_id));
                kept->total = s->total;
        }
        kept->version++;
        return 0;
}

static int append_attempts(struct checkout_memory_row *row, const struct checkout_attempt *a,
                           size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int r = grow_for_one(&row->attempts, &row->cap_attempts, row->n_attempts,
                                     sizeof(*row->attempts));
                if (r < 0)
                        return r;
                row->attempts[row->n_attempts++] = a[i];
        }
        return 0;
}

static int mem_save(void *self, const struct checkout_saga *s, const char *owner, int64_t lease_ms,
                    const struct checkout_attempt *attempts, size_t n_attempts)
{
        struct checkout_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct checkout_memory_row *row = row_of(m, s->id);
        int r = row && unfinished(row) && !strcmp(row->owner, owner) ? 0 : -ESTALE;
        if (row && append_attempts(row, attempts, n_attempts) < 0)
                r = -ENOMEM;
        if (!r)
                r = overwrite(row, s, true);
        if (!r)
                row->lease_until_ms = store_now(m) + lease_ms;
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int mem_operate(void *self, const struct checkout_saga *s, const struct checkout_action *a)
{
        struct checkout_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct checkout_memory_row *row = row_of(m, s->id);
        int r = row && row->saga.version == s->version ? 0 : -ESTALE;
        if (!r)
                r = grow_for_one(&row->actions, &row->cap_actions, row->n_actions,
                                 sizeof(*row->actions));
        if (!r)
                r = overwrite(row, s, false);
        if (!r) {
                row->actions[row->n_actions++] = *a;
                row->owner[0] = '\0'; /* released: the next claim takes it */
                row->lease_until_ms = 0;
                m->n_operated[a->op]++;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int mem_journal(void *self, const char *id, struct checkout_attempt *ret, size_t max,
                       size_t *ret_n, int64_t *ret_total)
{
        struct checkout_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct checkout_memory_row *row = row_of(m, id);
        size_t n = 0, total = row ? row->n_attempts : 0;
        for (size_t i = total > max ? total - max : 0; i < total; i++)
                ret[n++] = row->attempts[i];
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        *ret_total = (int64_t)total + (row ? row->journal_dropped : 0);
        return 0; /* none, as MariaDB says for a saga it does not have */
}

static int mem_actions(void *self, const char *id, struct checkout_action *ret, size_t max,
                       size_t *ret_n)
{
        struct checkout_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct checkout_memory_row *row = row_of(m, id);
        size_t n = 0;
        for (size_t i = 0; row && i < row->n_actions && n < max; i++)
                ret[n++] = row->actions[i];
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0; /* none, as MariaDB says for a saga it does not have */
}

static int census_index(enum saga_status status)
{
        for (int i = 0; i < CHECKOUT_CENSUS_STATUSES; i++)
                if (checkout_census_statuses[i] == status)
                        return i;
        return -1;
}

static int mem_census(void *self, int64_t now_ms, struct checkout_census *ret)
{
        struct checkout_memory_store *m = self;
        memset(ret, 0, sizeof(*ret));
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++) {
                const struct checkout_saga *s = &m->rows[i].saga;
                int st = census_index(s->state.status);
                if (st < 0)
                        continue;
                ret->sagas[s->kind - 1][st][checkout_age_bucket(now_ms - s->created_ms)]++;
                ret->stuck[s->kind - 1] += s->state.stuck;
                if (!saga_is_final(s->state.status) &&
                    (!ret->oldest_unfinished_ms || s->created_ms < ret->oldest_unfinished_ms))
                        ret->oldest_unfinished_ms = s->created_ms;
        }
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static int mem_list_unfinished(void *self, const char *owner, int64_t after_seq, char (*ids)[37],
                               int64_t *seqs, size_t max, size_t *ret_n)
{
        struct checkout_memory_store *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n && n < max; i++) { /* rows are in seq order */
                const struct checkout_memory_row *row = &m->rows[i];
                if (row->saga.seq > after_seq && claimable(m, row, owner)) {
                        memcpy(ids[n], row->saga.id, 37);
                        seqs[n++] = row->saga.seq;
                }
        }
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static bool same_or_any(const char *filter, const char *value)
{
        return !filter || !*filter || !strcmp(filter, value);
}

static bool matches(const struct checkout_saga *s, const struct checkout_query *q)
{
        return (!q->status || s->state.status == q->status) && (!q->kind || s->kind == q->kind) &&
               (!q->before_seq || s->seq < q->before_seq) && (!q->stuck_only || s->state.stuck) &&
               (!q->created_before_ms || s->created_ms < q->created_before_ms) &&
               same_or_any(q->customer_id, s->customer_id) &&
               same_or_any(q->order_id, s->order_id) &&
               same_or_any(q->step, saga_step_name(checkout_def_of(s->kind), &s->state));
}

static int mem_list(void *self, const struct checkout_query *q, struct checkout_saga *ret,
                    size_t *ret_n)
{
        struct checkout_memory_store *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = m->n; i-- > 0 && n < q->limit;) { /* newest first */
                const struct checkout_saga *s = &m->rows[i].saga;
                if (matches(s, q))
                        ret[n++] = *s;
        }
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static void trim_journal(struct checkout_memory_row *row, const struct checkout_retention *r,
                         struct checkout_pruned *ret)
{
        size_t keep = r->journal_head + r->journal_tail;
        if (row->n_attempts <= keep)
                return;
        size_t dropped = row->n_attempts - keep;
        memmove(row->attempts + r->journal_head, row->attempts + r->journal_head + dropped,
                r->journal_tail * sizeof(*row->attempts));
        row->n_attempts = keep;
        row->journal_dropped += (int64_t)dropped;
        ret->attempts += (int64_t)dropped;
}

static int mem_prune(void *self, const struct checkout_retention *r, struct checkout_pruned *ret)
{
        struct checkout_memory_store *m = self;
        memset(ret, 0, sizeof(*ret));
        size_t kept = 0, touched = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++) {
                struct checkout_memory_row *row = &m->rows[i];
                enum saga_status st = row->saga.state.status;
                bool gone = touched < r->max_sagas && r->finished_before_ms > 0 &&
                            (st == SAGA_COMPLETED || st == SAGA_COMPENSATED) &&
                            row->saga.updated_ms < r->finished_before_ms;
                if (gone) {
                        touched++;
                        ret->sagas++;
                        free(row->attempts);
                        free(row->actions);
                        continue;
                }
                if (touched < r->max_sagas && row->n_attempts > r->journal_head + r->journal_tail) {
                        touched++;
                        trim_journal(row, r, ret);
                }
                m->rows[kept++] = *row; /* rows stay in seq order */
        }
        m->n = kept;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static const struct checkout_store_ops memory_ops = {
        .insert = mem_insert,
        .find = mem_find,
        .find_by_key = mem_find_by_key,
        .find_by_order = mem_find_by_order,
        .claim = mem_claim,
        .save = mem_save,
        .list_unfinished = mem_list_unfinished,
        .list = mem_list,
        .operate = mem_operate,
        .journal = mem_journal,
        .actions = mem_actions,
        .census = mem_census,
        .prune = mem_prune,
};

struct checkout_store checkout_store_memory(struct checkout_memory_store *m)
{
        return (struct checkout_store){.ops = &memory_ops, .self = m};
}
