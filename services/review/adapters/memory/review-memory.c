/* See review-memory.h. */
#include "review-memory.h"

#include "core/grow.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void review_memory_store_init(struct review_memory_store *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void review_memory_store_free(struct review_memory_store *m)
{
        free(m->reviews);
        free(m->summaries);
        free(m->marks);
        free(m->events);
        pthread_mutex_destroy(&m->lock);
}

/* The book's summary row, made on first use; NULL when out of memory. */
static struct rating_summary *summary_of(struct review_memory_store *m, const char *book_id)
{
        for (size_t i = 0; i < m->n_summaries; i++)
                if (!strcmp(m->summaries[i].book_id, book_id))
                        return &m->summaries[i].s;
        if (grow_for_one(&m->summaries, &m->cap_summaries, m->n_summaries, sizeof(*m->summaries)) <
            0)
                return NULL;
        struct review_memory_summary *row = &m->summaries[m->n_summaries++];
        memset(row, 0, sizeof(*row));
        snprintf(row->book_id, sizeof(row->book_id), "%s", book_id);
        return &row->s;
}

/* Moves the summary and records the event; the caller checked room first. */
static void publish(struct review_memory_store *m, struct rating_summary *s, int before, int after,
                    enum review_change change, const struct review *r,
                    struct rating_summary *ret_summary)
{
        rating_move(s, before, after);
        struct review_memory_event *e = &m->events[m->n_events++];
        e->change = change;
        snprintf(e->review_id, sizeof(e->review_id), "%s", r->id);
        snprintf(e->book_id, sizeof(e->book_id), "%s", r->book_id);
        e->summary = *s;
        *ret_summary = *s;
}

static struct review *find_locked(struct review_memory_store *m, const char *id)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->reviews[i].id, id))
                        return &m->reviews[i];
        return NULL;
}

static int mem_insert(void *self, struct review *r, struct rating_summary *ret_summary)
{
        struct review_memory_store *m = self;
        int rc = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n && !rc; i++)
                if (!strcmp(m->reviews[i].book_id, r->book_id) &&
                    !strcmp(m->reviews[i].customer_id, r->customer_id))
                        rc = -EEXIST;
        struct rating_summary *s = rc ? NULL : summary_of(m, r->book_id);
        if (!rc && (!s || grow_for_one(&m->reviews, &m->cap, m->n, sizeof(*m->reviews)) < 0 ||
                    grow_for_one(&m->events, &m->cap_events, m->n_events, sizeof(*m->events)) < 0))
                rc = -ENOMEM;
        if (!rc) {
                r->seq = ++m->next_seq;
                r->version = 1;
                r->helpful = 0; /* marks are the store's, as in MariaDB */
                m->reviews[m->n++] = *r;
                publish(m, s, 0, review_counted(r), REVIEW_CREATED, r, ret_summary);
        }
        pthread_mutex_unlock(&m->lock);
        return rc;
}

static int mem_find(void *self, const char *id, struct review *ret)
{
        struct review_memory_store *m = self;
        pthread_mutex_lock(&m->lock);
        struct review *r = find_locked(m, id);
        if (r)
                *ret = *r;
        pthread_mutex_unlock(&m->lock);
        return r ? 0 : -ENOENT;
}

static int mem_update(void *self, const struct review *before, struct review *after,
                      enum review_change change, struct rating_summary *ret_summary)
{
        struct review_memory_store *m = self;
        int rc = 0;
        pthread_mutex_lock(&m->lock);
        struct review *r = find_locked(m, after->id);
        struct rating_summary *s = r ? summary_of(m, r->book_id) : NULL;
        if (!r)
                rc = -ENOENT;
        else if (r->version != after->version)
                rc = -ESTALE;
        else if (!s ||
                 grow_for_one(&m->events, &m->cap_events, m->n_events, sizeof(*m->events)) < 0)
                rc = -ENOMEM;
        if (!rc) {
                /* the change's fields only (the MariaDB UPDATE's); after gets the row */
                r->rating = after->rating;
                memcpy(r->text, after->text, sizeof(r->text));
                memcpy(r->answer, after->answer, sizeof(r->answer));
                r->answered_ms = after->answered_ms;
                r->hidden = after->hidden;
                memcpy(r->hidden_reason, after->hidden_reason, sizeof(r->hidden_reason));
                r->updated_ms = after->updated_ms;
                r->version++;
                *after = *r;
                publish(m, s, review_counted(before), review_counted(after), change, after,
                        ret_summary);
        }
        pthread_mutex_unlock(&m->lock);
        return rc;
}

static int mem_remove(void *self, const struct review *gone, struct rating_summary *ret_summary)
{
        struct review_memory_store *m = self;
        int rc = 0;
        pthread_mutex_lock(&m->lock);
        struct review *r = find_locked(m, gone->id);
        struct rating_summary *s = r ? summary_of(m, r->book_id) : NULL;
        if (!r)
                rc = -ENOENT;
        else if (r->version != gone->version)
                rc = -ESTALE;
        else if (!s ||
                 grow_for_one(&m->events, &m->cap_events, m->n_events, sizeof(*m->events)) < 0)
                rc = -ENOMEM;
        if (!rc) {
                struct review copy = *r;
                *r = m->reviews[--m->n];
                size_t kept = 0;
                for (size_t i = 0; i < m->n_marks; i++)
                        if (strcmp(m->marks[i].review_id, copy.id))
                                m->marks[kept++] = m->marks[i];
                m->n_marks = kept;
                publish(m, s, review_counted(&copy), 0, REVIEW_DELETED, &copy, ret_summary);
        }
        pthread_mutex_unlock(&m->lock);
        return rc;
}

static int mem_mark_helpful(void *self, const char *review_id, const char *user_id,
                            struct review *ret)
{
        struct review_memory_store *m = self;
        int rc = 0;
        pthread_mutex_lock(&m->lock);
        struct review *r = find_locked(m, review_id);
        if (!r)
                rc = -ENOENT;
        for (size_t i = 0; i < m->n_marks && !rc; i++)
                if (!strcmp(m->marks[i].review_id, review_id) &&
                    !strcmp(m->marks[i].user_id, user_id))
                        rc = -EEXIST;
        if (!rc && grow_for_one(&m->marks, &m->cap_marks, m->n_marks, sizeof(*m->marks)) < 0)
                rc = -ENOMEM;
        if (!rc) {
                snprintf(m->marks[m->n_marks].review_id, sizeof(m->marks[0].review_id), "%s",
                         review_id);
                snprintf(m->marks[m->n_marks].user_id, sizeof(m->marks[0].user_id), "%s", user_id);
                m->n_marks++;
                r->helpful++;
        }
        if (r && (!rc || rc == -EEXIST))
                *ret = *r;
        pthread_mutex_unlock(&m->lock);
        return rc;
}

/* a comes before b in q's order */
static bool before_in(const struct review_query *q, const struct review *a, const struct review *b)
{
        if (q->order == REVIEW_MOST_HELPFUL && a->helpful != b->helpful)
                return a->helpful > b->helpful;
        return a->seq > b->seq;
}

static bool after_key(const struct review_query *q, const struct review *r)
{
        if (!q->after_seq && !q->after_helpful)
                return true;
        if (q->order == REVIEW_MOST_HELPFUL)
                return r->helpful < q->after_helpful ||
                       (r->helpful == q->after_helpful && r->seq < q->after_seq);
        return r->seq < q->after_seq;
}

static int mem_list(void *self, const struct review_query *q, struct review *ret, size_t *ret_n)
{
        struct review_memory_store *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++) { /* insertion into the sorted first q->limit */
                const struct review *r = &m->reviews[i];
                if (strcmp(r->book_id, q->book_id) || !after_key(q, r) ||
                    (r->hidden && q->hidden_of && strcmp(r->customer_id, q->hidden_of)))
                        continue;
                size_t at = n;
                while (at > 0 && before_in(q, r, &ret[at - 1]))
                        at--;
                if (at >= q->limit)
                        continue;
                size_t moved = n < q->limit ? n - at : n - at - 1;
                memmove(&ret[at + 1], &ret[at], moved * sizeof(*ret));
                ret[at] = *r;
                n += n < q->limit;
        }
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int mem_summary(void *self, const char *book_id, struct rating_summary *ret)
{
        struct review_memory_store *m = self;
        memset(ret, 0, sizeof(*ret));
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_summaries; i++)
                if (!strcmp(m->summaries[i].book_id, book_id))
                        *ret = m->summaries[i].s;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static const struct review_store_ops store_memory_ops = {
        .insert = mem_insert,
        .find = mem_find,
        .update = mem_update,
        .remove = mem_remove,
        .mark_helpful = mem_mark_helpful,
        .list = mem_list,
        .summary = mem_summary,
};

struct review_store review_store_memory(struct review_memory_store *m)
{
        return (struct review_store){.ops = &store_memory_ops, .self = m};
}

static int mem_delivered(void *self, const char *authorization, const char *book_id,
                         char seller_id[64])
{
        const struct review_memory_orders *o = self;
        if (o->fail)
                return o->fail;
        for (size_t i = 0; i < o->n; i++)
                if (!strcmp(o->delivered[i].authorization, authorization ? authorization : "") &&
                    !strcmp(o->delivered[i].book_id, book_id)) {
                        snprintf(seller_id, 64, "%s", o->delivered[i].seller_id);
                        return 0;
                }
        return -ENOENT;
}

static const struct review_orders_ops orders_memory_ops = {.delivered = mem_delivered};

struct review_orders review_orders_memory(struct review_memory_orders *o)
{
        return (struct review_orders){.ops = &orders_memory_ops, .self = o};
}
