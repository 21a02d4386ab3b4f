/* The metrics registry; see metrics/metrics.h. */
#include "metrics/metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LABELS = 8, MAX_SERIES = 4096, SLOTS = 8192 /* power of two, > 1.5 x MAX_SERIES */ };

enum family_type { FAMILY_COUNTER, FAMILY_GAUGE, FAMILY_HISTOGRAM };

struct metric {
        struct metric_family *family;
        char *labels;              /* rendered: a="x",b="y" */
        char *key;                 /* the values joined by \x1f, for lookups */
        _Atomic uint64_t count;    /* counter value; histogram count */
        _Atomic int64_t gauge;     /* gauge value */
        _Atomic uint64_t sum;      /* histogram sum, the bits of a double */
        _Atomic uint64_t *buckets; /* histogram: one per bound (cumulated at render) */
};

struct metric_family {
        struct metric_family *next;
        enum family_type type;
        const char *name, *help;
        const char *label_names[MAX_LABELS + 1];
        size_t n_labels;
        double *bounds;
        size_t n_bounds;
        pthread_mutex_t lock; /* inserts only */
        _Atomic(struct metric *) slots[SLOTS];
        struct metric *series[MAX_SERIES]; /* insertion order, for rendering */
        _Atomic size_t n_series;
};

struct collector {
        struct collector *next;
        metrics_collect_fn fn;
        void *userdata;
};

struct metrics {
        pthread_mutex_t lock; /* registration and rendering order */
        struct metric_family *families, **tail;
        struct collector *collectors, **collectors_tail;
};

struct metrics_writer {
        char *buf;
        size_t len, cap;
        bool failed;
};

int metrics_new(struct metrics **ret)
{
        struct metrics *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        pthread_mutex_init(&m->lock, NULL);
        m->tail = &m->families;
        m->collectors_tail = &m->collectors;
        *ret = m;
        return 0;
}

static void free_family(struct metric_family *f)
{
        for (size_t i = 0; i < atomic_load(&f->n_series); i++) {
                free(f->series[i]->labels);
                free(f->series[i]->key);
                free(f->series[i]->buckets);
                free(f->series[i]);
        }
        pthread_mutex_destroy(&f->lock);
        free(f->bounds);
        free(f);
}

void metrics_free(struct metrics *m)
{
        if (!m)
                return;
        for (struct metric_family *f = m->families, *next; f; f = next) {
                next = f->next;
                free_family(f);
        }
        for (struct collector *c = m->collectors, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        pthread_mutex_destroy(&m->lock);
        free(m);
}

static struct metric_family *add_family(struct metrics *m, enum family_type type, const char *name,
                                        const char *help, const char *const *label_names)
{
        struct metric_family *f = calloc(1, sizeof(*f));
        if (!f)
                return NULL;
        f->type = type;
        f->name = name;
        f->help = help;
        for (; label_names && label_names[f->n_labels] && f->n_labels < MAX_LABELS; f->n_labels++)
                f->label_names[f->n_labels] = label_names[f->n_labels];
        pthread_mutex_init(&f->lock, NULL);
        pthread_mutex_lock(&m->lock);
        *m->tail = f;
        m->tail = &f->next;
        pthread_mutex_unlock(&m->lock);
        return f;
}

struct metric_family *metrics_counter(struct metrics *m, const char *name, const char *help,
                                      const char *const *label_names)
{
        return add_family(m, FAMILY_COUNTER, name, help, label_names);
}

struct metric_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
                                    const char *const *label_names)
{
        return add_family(m, FAMILY_GAUGE, name, help, label_names);
}

struct metric_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                        const char *const *label_names, const double *bounds,
                                        size_t n_bounds)
{
        double *copy = malloc((n_bounds ? n_bounds : 1) * sizeof(*copy));
        if (!copy)
                return NULL;
        memcpy(copy, bounds, n_bounds * sizeof(*copy));
        struct metric_family *f = add_family(m, FAMILY_HISTOGRAM, name, help, label_names);
        if (!f) {
                free(copy);
                return NULL;
        }
        f->bounds = copy;
        f->n_bounds = n_bounds;
        return f;
}

static uint64_t hash(const char *s)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

/* Appends text, escaped as a label value when `escape`. */
static bool append(char **buf, size_t *len, size_t *cap, const char *s, bool escape)
{
        for (; *s; s++) {
                const char *piece = escape && *s == '\\'   ? "\\\\"
                                    : escape && *s == '"'  ? "\\\""
                                    : escape && *s == '\n' ? "\\n"
                                                           : NULL;
                size_t n = piece ? strlen(piece) : 1;
                if (*len + n + 1 > *cap) {
                        size_t cap2 = *cap ? *cap * 2 : 128;
                        while (cap2 < *len + n + 1)
                                cap2 *= 2;
                        char *b = realloc(*buf, cap2);
                        if (!b)
                                return false;
                        *buf = b;
                        *cap = cap2;
                }
                memcpy(*buf + *len, piece ? piece : s, n);
                *len += n;
                (*buf)[*len] = '\0';
        }
        return true;
}

static struct metric *new_series(struct metric_family *f, const char *const *values,
                                 const char *key)
{
        struct metric *c = calloc(1, sizeof(*c));
        char *labels = NULL;
        size_t len = 0, cap = 0;
        bool ok = c && append(&labels, &len, &cap, "", false);
        for (size_t i = 0; ok && i < f->n_labels; i++)
                ok = append(&labels, &len, &cap, i ? "," : "", false) &&
                     append(&labels, &len, &cap, f->label_names[i], false) &&
                     append(&labels, &len, &cap, "=\"", false) &&
                     append(&labels, &len, &cap, values[i] ? values[i] : "", true) &&
                     append(&labels, &len, &cap, "\"", false);
        if (ok && f->type == FAMILY_HISTOGRAM)
                ok = (c->buckets = calloc(f->n_bounds + 1, sizeof(*c->buckets))) != NULL;
        if (ok)
                ok = (c->key = strdup(key)) != NULL;
        if (!ok) {
                if (c)
                        free(c->buckets);
                free(labels);
                free(c);
                return NULL;
        }
        c->family = f;
        c->labels = labels;
        return c;
}

struct metric *metric_child(struct metric_family *f, const char *const *label_values)
{
        char key[1024];
        size_t len = 0;
        key[0] = '\0';
        for (size_t i = 0; i < f->n_labels; i++) {
                int n = snprintf(key + len, sizeof(key) - len, "%s%s", i ? "\x1f" : "",
                                 label_values[i] ? label_values[i] : "");
                if (n < 0 || (size_t)n >= sizeof(key) - len)
                        return NULL; /* label values this long are a mistake */
                len += (size_t)n;
        }
        size_t slot = hash(key) & (SLOTS - 1);
        for (size_t probe = 0; probe < SLOTS; probe++, slot = (slot + 1) & (SLOTS - 1)) {
                struct metric *c = atomic_load_explicit(&f->slots[slot], memory_order_acquire);
                if (!c)
                        break;
                if (!strcmp(c->key, key))
                        return c;
        }
        /* not there: insert under the lock (someone may have just done it) */
        pthread_mutex_lock(&f->lock);
        struct metric *found = NULL;
        slot = hash(key) & (SLOTS - 1);
        for (;; slot = (slot + 1) & (SLOTS - 1)) {
                struct metric *c = atomic_load_explicit(&f->slots[slot], memory_order_acquire);
                if (!c)
                        break;
                if (!strcmp(c->key, key)) {
                        found = c;
                        break;
                }
        }
        size_t n = atomic_load(&f->n_series);
        if (!found && n < MAX_SERIES && (found = new_series(f, label_values, key))) {
                f->series[n] = found;
                atomic_store_explicit(&f->n_series, n + 1, memory_order_release);
                atomic_store_explicit(&f->slots[slot], found, memory_order_release);
        }
        pthread_mutex_unlock(&f->lock);
        return found;
}

void metric_inc(struct metric *c, uint64_t n)
{
        if (c)
                atomic_fetch_add_explicit(&c->count, n, memory_order_relaxed);
}

void metric_gauge_add(struct metric *c, int64_t delta)
{
        if (c)
                atomic_fetch_add_explicit(&c->gauge, delta, memory_order_relaxed);
}

void metric_gauge_set(struct metric *c, int64_t value)
{
        if (c)
                atomic_store_explicit(&c->gauge, value, memory_order_relaxed);
}

void metric_observe(struct metric *c, double value)
{
        if (!c)
                return;
        const struct metric_family *f = c->family;
        size_t i = 0;
        while (i < f->n_bounds && value > f->bounds[i])
                i++;
        atomic_fetch_add_explicit(&c->buckets[i], 1, memory_order_relaxed);
        uint64_t old = atomic_load_explicit(&c->sum, memory_order_relaxed), new;
        do {
                double d;
                memcpy(&d, &old, sizeof(d));
                d += value;
                memcpy(&new, &d, sizeof(new));
        } while (!atomic_compare_exchange_weak_explicit(&c->sum, &old, new, memory_order_relaxed,
                                                        memory_order_relaxed));
        atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
}

int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *userdata)
{
        struct collector *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fn = fn;
        c->userdata = userdata;
        pthread_mutex_lock(&m->lock);
        *m->collectors_tail = c;
        m->collectors_tail = &c->next;
        pthread_mutex_unlock(&m->lock);
        return 0;
}

static void put(struct metrics_writer *w, const char *s)
{
        if (!w->failed && !append(&w->buf, &w->len, &w->cap, s, false))
                w->failed = true;
}

static void put_number(struct metrics_writer *w, double v)
{
        char num[64];
        if (isinf(v))
                snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
        else if (v == (double)(int64_t)v && fabs(v) < 9e15)
                snprintf(num, sizeof(num), "%lld", (long long)v);
        else
                snprintf(num, sizeof(num), "%.17g", v);
        put(w, num);
}

void metrics_write_family(struct metrics_writer *w, const char *name, const char *help,
                          const char *type)
{
        put(w, "# HELP ");
        put(w, name);
        put(w, " ");
        put(w, help);
        put(w, "\n# TYPE ");
        put(w, name);
        put(w, " ");
        put(w, type);
        put(w, "\n");
}

void metrics_write_sample(struct metrics_writer *w, const char *name, const char *labels,
                          double value)
{
        put(w, name);
        if (labels && *labels) {
                put(w, "{");
                put(w, labels);
                put(w, "}");
        }
        put(w, " ");
        put_number(w, value);
        put(w, "\n");
}

static void render_histogram(struct metrics_writer *w, const struct metric_family *f,
                             struct metric *c)
{
        char name[256], labels[2048];
        uint64_t cumulated = 0;
        for (size_t i = 0; i <= f->n_bounds; i++) {
                cumulated += atomic_load_explicit(&c->buckets[i], memory_order_relaxed);
                char le[64];
                if (i < f->n_bounds)
                        snprintf(le, sizeof(le), "%.17g", f->bounds[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                snprintf(labels, sizeof(labels), "%s%sle=\"%s\"", c->labels, *c->labels ? "," : "",
                         le);
                snprintf(name, sizeof(name), "%s_bucket", f->name);
                metrics_write_sample(w, name, labels, (double)cumulated);
        }
        uint64_t bits = atomic_load_explicit(&c->sum, memory_order_relaxed);
        double sum;
        memcpy(&sum, &bits, sizeof(sum));
        snprintf(name, sizeof(name), "%s_sum", f->name);
        metrics_write_sample(w, name, c->labels, sum);
        snprintf(name, sizeof(name), "%s_count", f->name);
        /* the count of buckets, not the counter: a scrape racing an observe
         * stays consistent (count == +Inf bucket) */
        metrics_write_sample(w, name, c->labels, (double)cumulated);
}

char *metrics_render(struct metrics *m, size_t *ret_len)
{
        struct metrics_writer w = {0};
        static const char *const types[] = {"counter", "gauge", "histogram"};
        pthread_mutex_lock(&m->lock);
        for (struct metric_family *f = m->families; f; f = f->next) {
                metrics_write_family(&w, f->name, f->help, types[f->type]);
                size_t n = atomic_load_explicit(&f->n_series, memory_order_acquire);
                for (size_t i = 0; i < n; i++) {
                        struct metric *c = f->series[i];
                        if (f->type == FAMILY_HISTOGRAM)
                                render_histogram(&w, f, c);
                        else
                                metrics_write_sample(&w, f->name, c->labels,
                                                     f->type == FAMILY_COUNTER
                                                             ? (double)atomic_load(&c->count)
                                                             : (double)atomic_load(&c->gauge));
                }
        }
        for (struct collector *c = m->collectors; c; c = c->next)
                c->fn(c->userdata, &w);
        pthread_mutex_unlock(&m->lock);
        if (!w.failed && !w.buf)
                w.failed = !(w.buf = calloc(1, 1));
        if (w.failed) {
                free(w.buf);
                return NULL;
        }
        if (ret_len)
                *ret_len = w.len;
        return w.buf;
}
