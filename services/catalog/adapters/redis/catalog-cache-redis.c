/* Book cache in Redis; see catalog-cache-redis.h. */
#include "catalog-cache-redis.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void key_of(char *buf, size_t len, const char *id)
{
        snprintf(buf, len, "catalog:book:%s", id);
}

static void copy_str(json_t *o, const char *k, char *out, size_t len)
{
        const char *v = json_string_value(json_object_get(o, k));
        snprintf(out, len, "%s", v ? v : "");
}

static int cache_get(void *self, const char *id, struct catalog_book *ret)
{
        struct catalog_cache_redis *c = self;
        char key[96], *value = NULL;
        key_of(key, sizeof(key), id);
        int r = kv_get(c->kv, key, &value, NULL);
        if (r < 0)
                return r;
        json_error_t jerr;
        json_t *o = json_loads(value, 0, &jerr);
        free(value);
        if (!json_is_object(o)) {
                json_decref(o);
                return -EBADMSG; /* treated as a miss by the caller, and reported */
        }
        memset(ret, 0, sizeof(*ret));
        copy_str(o, "id", ret->id, sizeof(ret->id));
        copy_str(o, "title", ret->title, sizeof(ret->title));
        copy_str(o, "authors", ret->authors, sizeof(ret->authors));
        copy_str(o, "isbn13", ret->isbn13, sizeof(ret->isbn13));
        copy_str(o, "description", ret->description, sizeof(ret->description));
        copy_str(o, "category_id", ret->category_id, sizeof(ret->category_id));
        copy_str(o, "currency", ret->price.currency, sizeof(ret->price.currency));
        copy_str(o, "seller_id", ret->seller_id, sizeof(ret->seller_id));
        ret->price.units = json_integer_value(json_object_get(o, "units"));
        ret->price.nanos = (int32_t)json_integer_value(json_object_get(o, "nanos"));
        ret->status = (enum catalog_status)json_integer_value(json_object_get(o, "status"));
        ret->created_at = json_integer_value(json_object_get(o, "created_at"));
        ret->updated_at = json_integer_value(json_object_get(o, "updated_at"));
        ret->seq = json_integer_value(json_object_get(o, "seq"));
        json_decref(o);
        return 0;
}

static int cache_put(void *self, const struct catalog_book *b)
{
        struct catalog_cache_redis *c = self;
        json_t *o = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:I, s:I, s:I}", "id",
                b->id, "title", b->title, "authors", b->authors, "isbn13", b->isbn13, "description",
                b->description, "category_id", b->category_id, "currency", b->price.currency,
                "seller_id", b->seller_id, "units", (json_int_t)b->price.units, "nanos",
                b->price.nanos, "status", (int)b->status, "created_at", (json_int_t)b->created_at,
                "updated_at", (json_int_t)b->updated_at, "seq", (json_int_t)b->seq);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
                return -ENOMEM;
        char key[96];
        key_of(key, sizeof(key), b->id);
        int r = kv_set(c->kv, key, text, strlen(text), c->ttl_ms);
        free(text);
        return r;
}

static int cache_invalidate(void *self, const char *id)
{
        struct catalog_cache_redis *c = self;
        char key[96];
        key_of(key, sizeof(key), id);
        return kv_del(c->kv, key, NULL);
}

static const struct catalog_cache_ops cache_redis_ops = {
        .get = cache_get, .put = cache_put, .invalidate = cache_invalidate};

struct catalog_cache catalog_cache_redis(struct catalog_cache_redis *ctx)
{
        return (struct catalog_cache){.ops = &cache_redis_ops, .self = ctx};
}
