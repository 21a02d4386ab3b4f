/* The first level of the book cache: books in this process, in front of the
 * shared cache in Redis (catalog-cache-redis.h), so a warm GetBook makes no
 * network round trip.
 *
 * Memory is bounded: a fixed table of `entries` slots, a book's slot chosen
 * by its id (a new book in a taken slot replaces the old one); a slot's book
 * is allocated when first filled. Entries are filled only from the shared
 * cache's hits and dropped by every invalidation of any replica: the Redis
 * invalidation publishes the book's id on CATALOG_CACHE_CHANNEL
 * (catalog-cache-redis.h) and each
 * replica follows the channel (kv/sub.h). A fill that an invalidation
 * overtook is not stored. When this replica cannot prove it has seen every
 * invalidation published more than `bound_ms` ago (its subscription's PINGs
 * go unanswered), it reads the shared cache directly until it can, and
 * after a new subscription it starts empty: a book is never served more
 * than bound_ms after its invalidation was published. Entries also age out
 * after ttl_ms. */
#pragma once

#include "catalog-ports.h"
#include "kv/kv.h"

#include <stddef.h>
#include <stdint.h>

struct catalog_cache_local_config {
        size_t entries; /* BOOKSTORE_CATALOG_LOCAL_CACHE_ENTRIES, 0: no first level */
        int bound_ms;   /* BOOKSTORE_CATALOG_LOCAL_CACHE_BOUND_MS */
        int64_t ttl_ms;
};

struct catalog_cache_local;

/* shared: the second level; kv: the Redis whose channel to follow. */
int catalog_cache_local_start(struct catalog_cache_local **ret, struct catalog_cache shared,
                              struct kv *kv, const struct catalog_cache_local_config *cfg);
void catalog_cache_local_stop(struct catalog_cache_local *c); /* accepts NULL */
struct catalog_cache catalog_cache_local(struct catalog_cache_local *c);

/* Reads answered from this process, and from the shared cache, so far. */
struct catalog_cache_local_stats {
        uint64_t local_hits, shared_reads, bypassed;
        uint64_t drops; /* invalidations applied (and clears after a resubscription) */
};
struct catalog_cache_local_stats catalog_cache_local_stats(struct catalog_cache_local *c);
