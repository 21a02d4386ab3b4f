/* Chunked bump allocator; see core/arena.h. */
#include "core/arena.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_ALIGN = 16, ARENA_FIRST_CHUNK = 4096 };

struct arena_chunk {
        struct arena_chunk *next;
        size_t size; /* usable bytes after the header */
        size_t used;
        _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
        struct arena_chunk *head; /* current chunk; older ones follow */
        size_t max_bytes;
        size_t reserved; /* sum of chunk sizes */
        size_t used;
};

static struct arena_chunk *chunk_new(size_t size)
{
        if (size > SIZE_MAX - sizeof(struct arena_chunk)) /* the header would wrap it */
                return NULL;
        struct arena_chunk *c = malloc(sizeof(*c) + size);
        if (!c)
                return NULL;
        c->next = NULL;
        c->size = size;
        c->used = 0;
        return c;
}

int arena_new(struct arena **ret_arena, size_t max_bytes)
{
        struct arena *a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->max_bytes = max_bytes;
        *ret_arena = a;
        return 0;
}

static void free_chunks(struct arena_chunk *c)
{
        while (c) {
                struct arena_chunk *next = c->next;
                free(c);
                c = next;
        }
}

void arena_free(struct arena *a)
{
        if (!a)
                return;
        free_chunks(a->head);
        free(a);
}

void arena_reset(struct arena *a)
{
        if (!a->head)
                return;
        /* keep the oldest chunk (the first one allocated), free the rest */
        struct arena_chunk *keep = a->head;
        while (keep->next)
                keep = keep->next;
        struct arena_chunk *c = a->head;
        while (c != keep) {
                struct arena_chunk *next = c->next;
                free(c);
                c = next;
        }
        keep->used = 0;
        a->head = keep;
        a->reserved = keep->size;
        a->used = 0;
}

void arena_recycle(struct arena *a, size_t keep_max)
{
        struct arena_chunk *keep = NULL;
        for (struct arena_chunk *c = a->head; c; c = c->next)
                if (c->size <= keep_max && (!keep || c->size > keep->size))
                        keep = c;
        struct arena_chunk *c = a->head;
        while (c) {
                struct arena_chunk *next = c->next;
                if (c != keep)
                        free(c);
                c = next;
        }
        a->head = keep;
        a->reserved = keep ? keep->size : 0;
        a->used = 0;
        if (keep) {
                keep->next = NULL;
                keep->used = 0;
        }
}

void *arena_alloc(struct arena *a, size_t size)
{
        size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
        /* every sum below stays inside size_t: rounding, the budget left, doubling */
        if (rounded < size || rounded > a->max_bytes - a->used)
                return NULL;
        struct arena_chunk *c = a->head;
        if (!c || c->size - c->used < rounded) {
                size_t want = !c                       ? ARENA_FIRST_CHUNK
                              : c->size > SIZE_MAX / 2 ? SIZE_MAX
                                                       : c->size * 2;
                if (want < rounded)
                        want = rounded;
                if (want > a->max_bytes)
                        want = rounded > a->max_bytes ? rounded : a->max_bytes;
                c = chunk_new(want);
                if (!c)
                        return NULL;
                c->next = a->head;
                a->head = c;
                a->reserved += want;
        }
        void *p = c->data + c->used;
        c->used += rounded;
        a->used += rounded;
        return p;
}

void *arena_zalloc(struct arena *a, size_t size)
{
        void *p = arena_alloc(a, size);
        if (p)
                memset(p, 0, size);
        return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
        char *p = n < SIZE_MAX ? arena_alloc(a, n + 1) : NULL; /* n + 1 must not wrap to 0 */
        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
        return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
        va_list copy;
        va_copy(copy, ap);
        int n = vsnprintf(NULL, 0, fmt, copy);
        va_end(copy);
        if (n < 0)
                return NULL;
        char *p = arena_alloc(a, (size_t)n + 1);
        if (p)
                vsnprintf(p, (size_t)n + 1, fmt, ap);
        return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *p = arena_vprintf(a, fmt, ap);
        va_end(ap);
        return p;
}

size_t arena_used(const struct arena *a)
{
        return a->used;
}

size_t arena_reserved(const struct arena *a)
{
        return a->reserved;
}
