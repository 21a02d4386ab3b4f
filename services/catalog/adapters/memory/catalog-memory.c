/* In-memory catalog repository and cache; see catalog-memory.h. */
#include "catalog-memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int catalog_memory_init(struct catalog_memory *m)
{
        *m = (struct catalog_memory){0};
        m->books = calloc(CATALOG_MEMORY_BOOKS, sizeof(*m->books));
        if (!m->books)
                return -ENOMEM;
        pthread_mutex_init(&m->lock, NULL);
        return 0;
}

void catalog_memory_free(struct catalog_memory *m)
{
        if (!m->books)
                return;
        pthread_mutex_destroy(&m->lock);
        free(m->books);
        m->books = NULL;
}

static struct catalog_book *find_book(struct catalog_memory *m, const char *id)
{
        for (size_t i = 0; i < m->n_books; i++)
                if (!strcmp(m->books[i].id, id))
                        return &m->books[i];
        return NULL;
}

static int create_book(void *self, const struct catalog_book *b)
{
        struct catalog_memory *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_books && !r; i++)
                if (!strcmp(m->books[i].isbn13, b->isbn13) || !strcmp(m->books[i].id, b->id))
                        r = -EEXIST; /* the unique keys of the books table */
        if (!r && m->n_books == CATALOG_MEMORY_BOOKS)
                r = -ENOSPC;
        if (!r) {
                m->books[m->n_books] = *b;
                m->books[m->n_books++].seq = ++m->last_seq;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int get_book(void *self, const char *id, struct catalog_book *ret)
{
        struct catalog_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct catalog_book *b = find_book(m, id);
        if (b)
                *ret = *b;
        pthread_mutex_unlock(&m->lock);
        return b ? 0 : -ENOENT;
}

static int update_book(void *self, const struct catalog_book *in)
{
        struct catalog_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct catalog_book *b = find_book(m, in->id);
        if (b) { /* the columns the MariaDB UPDATE writes */
                memcpy(b->title, in->title, sizeof(b->title));
                memcpy(b->authors, in->authors, sizeof(b->authors));
                memcpy(b->description, in->description, sizeof(b->description));
                memcpy(b->category_id, in->category_id, sizeof(b->category_id));
                b->price = in->price;
                b->updated_at = in->updated_at;
        }
        pthread_mutex_unlock(&m->lock);
        return b ? 0 : -ENOENT;
}

static int set_status(void *self, const char *id, enum catalog_status from, enum catalog_status to,
                      int64_t updated_at)
{
        struct catalog_memory *m = self;
        pthread_mutex_lock(&m->lock);
        struct catalog_book *b = find_book(m, id);
        int r = !b ? -ENOENT : b->status != from ? -ESTALE : 0;
        if (!r) {
                b->status = to;
                b->updated_at = updated_at;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

/* An exact name among the '\x1f'-separated authors. */
static bool has_author(const char *authors, const char *name)
{
        size_t len = strlen(name);
        for (const char *p = authors; p; p = strchr(p, '\x1f') ? strchr(p, '\x1f') + 1 : NULL)
                if (!strncmp(p, name, len) && (p[len] == '\x1f' || p[len] == '\0'))
                        return true;
        return false;
}

static bool matches(const struct catalog_book *b, const struct catalog_book_query *q)
{
        bool owner = q->owner_id && !strcmp(b->seller_id, q->owner_id);
        return b->seq > q->after_seq && ((q->visible_statuses & 1u << b->status) || owner) &&
               (!q->category_id || !*q->category_id || !strcmp(b->category_id, q->category_id)) &&
               (!q->status || b->status == q->status) &&
               (!q->author || !*q->author || has_author(b->authors, q->author)) &&
               (!q->text || !*q->text || strstr(b->title, q->text) || strstr(b->authors, q->text));
}

static int list_books(void *self, const struct catalog_book_query *q, struct catalog_book *ret,
                      size_t *ret_n)
{
        struct catalog_memory *m = self;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_books && n < q->limit; i++) /* kept in seq order */
                if (matches(&m->books[i], q))
                        ret[n++] = m->books[i];
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int create_category(void *self, const struct catalog_category *c)
{
        struct catalog_memory *m = self;
        int r = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_categories && !r; i++)
                if (!strcmp(m->categories[i].name, c->name))
                        r = -EEXIST;
        if (!r && m->n_categories == CATALOG_MEMORY_CATEGORIES)
                r = -ENOSPC;
        if (!r)
                m->categories[m->n_categories++] = *c;
        pthread_mutex_unlock(&m->lock);
        return r;
}

static int list_categories(void *self, struct catalog_category *ret, size_t cap, size_t *ret_n)
{
        struct catalog_memory *m = self;
        pthread_mutex_lock(&m->lock);
        size_t n = m->n_categories < cap ? m->n_categories : cap;
        memcpy(ret, m->categories, n * sizeof(*ret));
        pthread_mutex_unlock(&m->lock);
        *ret_n = n;
        return 0;
}

static int category_exists(void *self, const char *id, bool *ret_exists)
{
        struct catalog_memory *m = self;
        bool found = false;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_categories && !found; i++)
                found = !strcmp(m->categories[i].id, id);
        pthread_mutex_unlock(&m->lock);
        *ret_exists = found;
        return 0;
}

static int by_units_then_id(const void *a, const void *b)
{
        const struct catalog_best_seller *x = a, *y = b;
        if (x->sales.units != y->sales.units)
                return x->sales.units > y->sales.units ? -1 : 1;
        return strcmp(x->book_id, y->book_id);
}

static int list_best_sellers(void *self, const char *category_id, unsigned visible_statuses,
                             size_t limit, struct catalog_best_seller *ret, size_t *ret_n)
{
        struct catalog_memory *m = self;
        struct catalog_best_seller *all = calloc(CATALOG_MEMORY_BOOKS, sizeof(*all));
        if (!all)
                return -ENOMEM;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_sales; i++) {
                const struct catalog_book *b = find_book(m, m->sales[i].book_id);
                if (b && (visible_statuses & 1u << b->status) &&
                    (!category_id || !*category_id || !strcmp(b->category_id, category_id)))
                        all[n++] = m->sales[i];
        }
        pthread_mutex_unlock(&m->lock);
        qsort(all, n, sizeof(*all), by_units_then_id);
        *ret_n = n < limit ? n : limit; /* ret holds limit, as the port says */
        memcpy(ret, all, *ret_n * sizeof(*ret));
        free(all);
        return 0;
}

static const struct catalog_repo_ops repo_memory_ops = {
        .create_book = create_book,
        .get_book = get_book,
        .update_book = update_book,
        .set_status = set_status,
        .list_books = list_books,
        .create_category = create_category,
        .list_categories = list_categories,
        .category_exists = category_exists,
        .list_best_sellers = list_best_sellers,
};

struct catalog_repo catalog_repo_memory(struct catalog_memory *m)
{
        return (struct catalog_repo){.ops = &repo_memory_ops, .self = m};
}

/* ---- the cache ----------------------------------------------------------- */

int catalog_cache_memory_init(struct catalog_cache_memory *c)
{
        *c = (struct catalog_cache_memory){0};
        c->entries = calloc(CATALOG_MEMORY_BOOKS, sizeof(*c->entries));
        if (!c->entries)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        return 0;
}

void catalog_cache_memory_free(struct catalog_cache_memory *c)
{
        if (!c->entries)
                return;
        pthread_mutex_destroy(&c->lock);
        free(c->entries);
        c->entries = NULL;
}

/* The entry of a book, made (generation 0, nothing cached) on first use. */
static struct catalog_cache_entry *entry_of(struct catalog_cache_memory *c, const char *id)
{
        for (size_t i = 0; i < c->n_entries; i++)
                if (!strcmp(c->entries[i].id, id))
                        return &c->entries[i];
        if (c->n_entries == CATALOG_MEMORY_BOOKS)
                return NULL;
        struct catalog_cache_entry *e = &c->entries[c->n_entries++];
        *e = (struct catalog_cache_entry){0};
        snprintf(e->id, sizeof(e->id), "%s", id);
        return e;
}

static int cache_get(void *self, const char *id, struct catalog_book *ret, int64_t *ret_generation)
{
        struct catalog_cache_memory *c = self;
        pthread_mutex_lock(&c->lock);
        struct catalog_cache_entry *e = c->fail_with ? NULL : entry_of(c, id);
        int r = c->fail_with ? c->fail_with : !e ? -ENOSPC : e->present ? 0 : -ENOENT;
        if (r == 0)
                *ret = e->book;
        else if (r == -ENOENT)
                *ret_generation = e->generation;
        pthread_mutex_unlock(&c->lock);
        return r;
}

static int cache_put(void *self, const struct catalog_book *b, int64_t generation)
{
        struct catalog_cache_memory *c = self;
        pthread_mutex_lock(&c->lock);
        struct catalog_cache_entry *e = c->fail_with ? NULL : entry_of(c, b->id);
        int r = c->fail_with ? c->fail_with : !e ? -ENOSPC : 0;
        if (e && e->generation == generation) { /* else an invalidation came in between */
                e->book = *b;
                e->present = true;
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

static int cache_invalidate(void *self, const char *id)
{
        struct catalog_cache_memory *c = self;
        pthread_mutex_lock(&c->lock);
        struct catalog_cache_entry *e = c->fail_with ? NULL : entry_of(c, id);
        int r = c->fail_with ? c->fail_with : !e ? -ENOSPC : 0;
        if (e) {
                e->generation++;
                e->present = false;
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

static const struct catalog_cache_ops cache_memory_ops = {
        .get = cache_get,
        .put = cache_put,
        .invalidate = cache_invalidate,
};

struct catalog_cache catalog_cache_memory(struct catalog_cache_memory *c)
{
        return (struct catalog_cache){.ops = &cache_memory_ops, .self = c};
}
