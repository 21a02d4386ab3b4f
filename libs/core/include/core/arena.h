/* Bump-pointer arena: many small allocations freed at once.
 *
 * One arena per RPC (request, response and everything the handler builds for
 * it). Every arena has a byte limit; an allocation that would pass it returns
 * NULL. Not thread-safe: an arena belongs to one call at a time. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* ret_arena is set on success; max_bytes caps the total memory it may hold. */
int arena_new(struct arena **ret_arena, size_t max_bytes);
/* Accepts NULL. */
void arena_free(struct arena *a);
/* Drops every allocation but keeps the first chunk for reuse. */
void arena_reset(struct arena *a);
/* Drops every allocation and keeps the largest chunk of at most keep_max
 * bytes (none if all are larger): an arena reused for similar work soon
 * needs no new chunk at all. */
void arena_recycle(struct arena *a, size_t keep_max);

/* 16-byte aligned; NULL when the limit would be passed. Never zeroed. */
void *arena_alloc(struct arena *a, size_t size);
void *arena_zalloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Bytes handed out since the last reset, for limits and metrics. */
size_t arena_used(const struct arena *a);
/* Bytes the arena holds in its chunks (what a reset arena keeps). */
size_t arena_reserved(const struct arena *a);
