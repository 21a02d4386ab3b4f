/* Redis adapter of the catalog cache port (cache-aside for GetBook): books
 * as JSON under catalog:book:<id> with a TTL, and the book's generation under
 * catalog:bookgen:<id>. A fill is a script that stores the entry only if the
 * generation is still the one its miss read; an invalidation is a script
 * that advances the generation, deletes the entry and publishes the book's
 * id on CATALOG_CACHE_CHANNEL (for the replicas' first levels,
 * catalog-cache-local.h). Every failure is
 * returned, and the use case falls back to the database. */
#pragma once

#include "catalog-ports.h"
#include "kv/kv.h"

#define CATALOG_CACHE_CHANNEL "catalog:book:invalidated"

struct catalog_cache_redis {
        struct kv *kv;
        int64_t ttl_ms;
};

struct catalog_cache catalog_cache_redis(struct catalog_cache_redis *ctx);
