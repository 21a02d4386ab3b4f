/* Redis adapter of the catalog cache port (cache-aside for GetBook): books
 * as JSON under catalog:book:<id> with a TTL, and the book's generation under
 * catalog:bookgen:<id>. A fill is a script that stores the entry only if the
 * generation is still the one its miss read; an invalidation is a script
 * that advances the generation and deletes the entry. Every failure is
 * returned, and the use case falls back to the database. */
#pragma once

#include "catalog-ports.h"
#include "kv/kv.h"

struct catalog_cache_redis {
        struct kv *kv;
        int64_t ttl_ms;
};

struct catalog_cache catalog_cache_redis(struct catalog_cache_redis *ctx);
