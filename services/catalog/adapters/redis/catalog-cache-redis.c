/* Book cache in Redis; see catalog-cache-redis.h. */
#include "catalog-cache-redis.h"

#include "core/json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a book's generation is kept after its last invalidation: far
 * longer than any miss takes from its read to its fill. */
enum { GENERATION_TTL_MS = 86400000 };

static void key_of(char *buf, size_t len, const char *id)
{
        snprintf(buf, len, "catalog:book:%s", id);
}

static void generation_key_of(char *buf, size_t len, const char *id)
{
        snprintf(buf, len, "catalog:bookgen:%s", id);
}

/* KEYS[1] entry, KEYS[2] generation; ARGV generation seen, value, ttl_ms. */
static const char fill_lua[] =
        "if (tonumber(redis.call('GET', KEYS[2])) or 0) ~= tonumber(ARGV[1]) then return 0 end\n"
        "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])\n"
        "return 1\n";

/* KEYS[1] entry, KEYS[2] generation; ARGV generation ttl_ms, channel, book id. */
static const char invalidate_lua[] = "redis.call('INCR', KEYS[2])\n"
                                     "redis.call('PEXPIRE', KEYS[2], ARGV[1])\n"
                                     "redis.call('DEL', KEYS[1])\n"
                                     "redis.call('PUBLISH', ARGV[2], ARGV[3])\n"
                                     "return 1\n";

/* Runs a script on a book's two keys; its integer answer, or a negative errno. */
static int run_script(struct catalog_cache_redis *c, const char *script, const char *id,
                      const char *const *args, const size_t *arg_lens, int n_args)
{
        char key[96], gen_key[96];
        key_of(key, sizeof(key), id);
        generation_key_of(gen_key, sizeof(gen_key), id);
        const char *argv[8] = {"EVAL", script, "2", key, gen_key};
        size_t lens[8] = {4, strlen(script), 1, strlen(key), strlen(gen_key)};
        for (int i = 0; i < n_args; i++) {
                argv[5 + i] = args[i];
                lens[5 + i] = arg_lens[i];
        }
        redisReply *reply;
        int r = kv_command_argv(c->kv, &reply, 5 + n_args, argv, lens);
        if (r < 0)
                return r;
        r = reply->type == REDIS_REPLY_INTEGER ? (int)reply->integer : -EIO;
        freeReplyObject(reply);
        return r;
}

/* The entry and the generation in one round trip. */
static int cache_get(void *self, const char *id, struct catalog_book *ret, int64_t *ret_generation)
{
        struct catalog_cache_redis *c = self;
        char key[96], gen_key[96];
        key_of(key, sizeof(key), id);
        generation_key_of(gen_key, sizeof(gen_key), id);
        const char *argv[] = {"MGET", key, gen_key};
        redisReply *reply;
        int r = kv_command_argv(c->kv, &reply, 3, argv, NULL);
        if (r < 0)
                return r;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
                freeReplyObject(reply);
                return -EIO;
        }
        const redisReply *entry = reply->element[0], *gen = reply->element[1];
        *ret_generation = gen->type == REDIS_REPLY_STRING ? strtoll(gen->str, NULL, 10) : 0;
        char *value = entry->type == REDIS_REPLY_STRING ? strndup(entry->str, entry->len) : NULL;
        bool hit = entry->type == REDIS_REPLY_STRING;
        freeReplyObject(reply);
        if (!hit)
                return -ENOENT;
        if (!value)
                return -ENOMEM;
        json_error_t jerr;
        json_t *o = json_loads(value, 0, &jerr);
        free(value);
        if (!json_is_object(o)) {
                json_decref(o);
                return -EBADMSG; /* treated as a miss by the caller, and reported */
        }
        memset(ret, 0, sizeof(*ret));
        json_copy_string(o, "id", ret->id, sizeof(ret->id));
        json_copy_string(o, "title", ret->title, sizeof(ret->title));
        json_copy_string(o, "authors", ret->authors, sizeof(ret->authors));
        json_copy_string(o, "isbn13", ret->isbn13, sizeof(ret->isbn13));
        json_copy_string(o, "description", ret->description, sizeof(ret->description));
        json_copy_string(o, "category_id", ret->category_id, sizeof(ret->category_id));
        json_copy_string(o, "currency", ret->price.currency, sizeof(ret->price.currency));
        json_copy_string(o, "seller_id", ret->seller_id, sizeof(ret->seller_id));
        ret->price.units = json_integer_value(json_object_get(o, "units"));
        ret->price.nanos = (int32_t)json_integer_value(json_object_get(o, "nanos"));
        ret->status = (enum catalog_status)json_integer_value(json_object_get(o, "status"));
        ret->created_at = json_integer_value(json_object_get(o, "created_at"));
        ret->updated_at = json_integer_value(json_object_get(o, "updated_at"));
        ret->seq = json_integer_value(json_object_get(o, "seq"));
        /* [count, one star .. five stars, version]; absent in entries cached
         * before ratings existed (read as none until they expire) */
        const json_t *rating = json_object_get(o, "rating");
        ret->rating.count = json_integer_value(json_array_get(rating, 0));
        for (size_t i = 0; i < RATING_STARS; i++)
                ret->rating.stars[i] = json_integer_value(json_array_get(rating, 1 + i));
        ret->rating.version = json_integer_value(json_array_get(rating, 6));
        json_decref(o);
        return 0;
}

static int cache_put(void *self, const struct catalog_book *b, int64_t generation)
{
        struct catalog_cache_redis *c = self;
        json_t *o = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:I, s:I, s:I, "
                "s:[IIIIIII]}",
                "id", b->id, "title", b->title, "authors", b->authors, "isbn13", b->isbn13,
                "description", b->description, "category_id", b->category_id, "currency",
                b->price.currency, "seller_id", b->seller_id, "units", (json_int_t)b->price.units,
                "nanos", b->price.nanos, "status", (int)b->status, "created_at",
                (json_int_t)b->created_at, "updated_at", (json_int_t)b->updated_at, "seq",
                (json_int_t)b->seq, "rating", (json_int_t)b->rating.count,
                (json_int_t)b->rating.stars[0], (json_int_t)b->rating.stars[1],
                (json_int_t)b->rating.stars[2], (json_int_t)b->rating.stars[3],
                (json_int_t)b->rating.stars[4], (json_int_t)b->rating.version);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
                return -ENOMEM;
        char gen[32], ttl[32];
        snprintf(gen, sizeof(gen), "%lld", (long long)generation);
        snprintf(ttl, sizeof(ttl), "%lld", (long long)c->ttl_ms);
        const char *args[] = {gen, text, ttl};
        const size_t lens[] = {strlen(gen), strlen(text), strlen(ttl)};
        int r = run_script(c, fill_lua, b->id, args, lens, 3);
        free(text);
        return r < 0 ? r : 0; /* 0 from the script: an invalidation came first, dropped */
}

static int cache_invalidate(void *self, const char *id)
{
        char ttl[32];
        snprintf(ttl, sizeof(ttl), "%d", GENERATION_TTL_MS);
        const char *args[] = {ttl, CATALOG_CACHE_CHANNEL, id};
        const size_t lens[] = {strlen(ttl), strlen(CATALOG_CACHE_CHANNEL), strlen(id)};
        int r = run_script(self, invalidate_lua, id, args, lens, 3);
        return r < 0 ? r : 0;
}

static const struct catalog_cache_ops cache_redis_ops = {
        .get = cache_get, .put = cache_put, .invalidate = cache_invalidate};

struct catalog_cache catalog_cache_redis(struct catalog_cache_redis *ctx)
{
        return (struct catalog_cache){.ops = &cache_redis_ops, .self = ctx};
}
