/* The payment store in memory; see payment-memory.h. */
#include "payment-memory.h"

#include "core/grow.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void payment_memory_store_init(struct payment_memory_store *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void payment_memory_store_free(struct payment_memory_store *m)
{
        free(m->rows);
        m->rows = NULL;
        pthread_mutex_destroy(&m->lock);
}

static struct payment *row_of(struct payment_memory_store *m, const char *order_id)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->rows[i].order_id, order_id))
                        return &m->rows[i];
        return NULL;
}

static int mem_find(void *self, const char *order_id, struct payment *ret)
{
        struct payment_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        const struct payment *p = row_of(m, order_id);
        if (p)
                *ret = *p;
        pthread_mutex_unlock(&m->lock);
        return p ? 0 : -ENOENT;
}

static int mem_insert(void *self, const struct payment *p)
{
        struct payment_memory_store *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        if (row_of(m, p->order_id))
                r = -EEXIST;
        if (!r)
                r = grow_for_one(&m->rows, &m->cap, m->n, sizeof(*m->rows));
        if (!r)
                m->rows[m->n++] = *p;
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int mem_update(void *self, const struct payment *p, enum payment_status from,
                      int from_pending)
{
        struct payment_memory_store *m = self;
        int r = -ESTALE;
        pthread_mutex_lock(&m->lock);
        struct payment *row = row_of(m, p->order_id);
        if (row && row->status == from && row->pending == from_pending) {
                row->status = p->status;
                row->pending = p->pending;
                memcpy(row->decline_reason, p->decline_reason, sizeof(row->decline_reason));
                memcpy(row->provider_reference, p->provider_reference,
                       sizeof(row->provider_reference));
                row->updated_at = p->updated_at;
                r = 0;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

_Static_assert(sizeof(enum payment_status) == sizeof(int), "listing_select reads an int");

static int mem_list(void *self, const struct listing_filter *f, struct payment *ret, size_t *ret_n)
{
        static const struct listing_row_shape shape = {
                .size = sizeof(struct payment),
                .key = offsetof(struct payment, order_id),
                .status = offsetof(struct payment, status),
                .updated = offsetof(struct payment, updated_at)};
        struct payment_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        *ret_n = listing_select(f, m->rows, m->n, &shape, ret);
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static int mem_prune_fences(void *self, int64_t before_s, int64_t *ret_n)
{
        struct payment_memory_store *m = self;
        size_t kept = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++)
                if (!payment_is_fence(&m->rows[i]) || m->rows[i].updated_at >= before_s)
                        m->rows[kept++] = m->rows[i];
        *ret_n = (int64_t)(m->n - kept);
        m->n = kept;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static const struct payment_store_ops store_ops = {
        .find = mem_find,
        .insert = mem_insert,
        .update = mem_update,
        .list = mem_list,
        .prune_fences = mem_prune_fences,
};

struct payment_store payment_store_memory(struct payment_memory_store *m)
{
        return (struct payment_store){.ops = &store_ops, .self = m};
}
