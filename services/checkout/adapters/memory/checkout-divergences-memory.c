/* The divergence store in memory; see checkout-divergences-memory.h. */
#include "checkout-divergences-memory.h"

#include "core/grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void checkout_memory_divergences_init(struct checkout_memory_divergences *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void checkout_memory_divergences_free(struct checkout_memory_divergences *m)
{
        free(m->rows);
        m->rows = NULL;
        pthread_mutex_destroy(&m->lock);
}

static struct checkout_divergence *row_of(struct checkout_memory_divergences *m,
                                          const char *order_id, enum divergence_kind kind)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->rows[i].kind == kind && !strcmp(m->rows[i].order_id, order_id))
                        return &m->rows[i];
        return NULL;
}

static int mem_seen(void *self, const char *order_id, enum divergence_kind kind, const char *detail,
                    int64_t now_ms, bool *ret_new)
{
        struct checkout_memory_divergences *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        struct checkout_divergence *d = row_of(m, order_id, kind);
        *ret_new = !d || d->status != DIVERGENCE_OPEN;
        if (!d && (r = grow_for_one(&m->rows, &m->cap, m->n, sizeof(*m->rows))) == 0) {
                d = &m->rows[m->n];
                memset(d, 0, sizeof(*d));
                d->seq = (int64_t)++m->n;
                snprintf(d->order_id, sizeof(d->order_id), "%s", order_id);
                d->kind = kind;
        }
        if (d && r == 0) {
                if (*ret_new) {
                        d->status = DIVERGENCE_OPEN;
                        d->first_seen_ms = now_ms;
                        d->closed_ms = 0;
                        d->repair[0] = '\0';
                }
                d->last_seen_ms = now_ms;
                snprintf(d->detail, sizeof(d->detail), "%s", detail);
        }
        pthread_mutex_unlock(&m->lock);
        if (r < 0)
                *ret_new = false;
        return r;
}

static int mem_close(void *self, const char *order_id, enum divergence_kind kind,
                     enum divergence_status status, const char *repair, int64_t now_ms)
{
        struct checkout_memory_divergences *m = self;
        pthread_mutex_lock(&m->lock);
        struct checkout_divergence *d = row_of(m, order_id, kind);
        int r = d && d->status == DIVERGENCE_OPEN ? 0 : -ENOENT;
        if (!r) {
                d->status = status;
                d->closed_ms = now_ms;
                snprintf(d->repair, sizeof(d->repair), "%s", repair ? repair : "");
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int mem_open(void *self, int64_t after_seq, struct checkout_divergence *ret, size_t max,
                    size_t *ret_n)
{
        struct checkout_memory_divergences *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n && n < max; i++)
                if (m->rows[i].status == DIVERGENCE_OPEN && m->rows[i].seq > after_seq)
                        ret[n++] = m->rows[i];
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int mem_list(void *self, const struct checkout_divergence_query *q,
                    struct checkout_divergence *ret, size_t *ret_n)
{
        struct checkout_memory_divergences *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = m->n; i-- > 0 && n < q->limit;) { /* newest first */
                const struct checkout_divergence *d = &m->rows[i];
                if ((!q->status || d->status == q->status) && (!q->kind || d->kind == q->kind) &&
                    (!q->order_id || !*q->order_id || !strcmp(d->order_id, q->order_id)) &&
                    (!q->before_seq || d->seq < q->before_seq))
                        ret[n++] = *d;
        }
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int mem_count_open(void *self, int64_t ret[DIVERGENCE_KINDS + 1])
{
        struct checkout_memory_divergences *m = self;
        memset(ret, 0, (DIVERGENCE_KINDS + 1) * sizeof(*ret));
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++)
                if (m->rows[i].status == DIVERGENCE_OPEN)
                        ret[m->rows[i].kind]++;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static int mem_prune(void *self, int64_t before_ms, int64_t *ret_n)
{
        struct checkout_memory_divergences *m = self;
        size_t kept = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++) /* in store order, as they were */
                if (m->rows[i].status == DIVERGENCE_OPEN || m->rows[i].closed_ms >= before_ms)
                        m->rows[kept++] = m->rows[i];
        *ret_n = (int64_t)(m->n - kept);
        m->n = kept;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static const struct checkout_divergence_ops memory_ops = {
        .seen = mem_seen,
        .close = mem_close,
        .open = mem_open,
        .list = mem_list,
        .count_open = mem_count_open,
        .prune = mem_prune,
};

struct checkout_divergence_store checkout_divergences_memory(struct checkout_memory_divergences *m)
{
        return (struct checkout_divergence_store){.ops = &memory_ops, .self = m};
}
