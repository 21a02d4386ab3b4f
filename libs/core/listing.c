/* See core/listing.h. */
#include "core/listing.h"

#include "core/ids.h"

#include <string.h>

enum listing_error listing_filter_init(struct listing_filter *f, int status, const char *const *ids,
                                       size_t n_ids, int64_t updated_since_s, int32_t page_size,
                                       const char *page_token, char prefix)
{
        memset(f, 0, sizeof(*f));
        if (n_ids > LISTING_MAX_IDS)
                return LISTING_IDS_INVALID;
        for (size_t i = 0; i < n_ids; i++)
                if (!id_valid(ids[i], PAGE_KEY_MAX - 1))
                        return LISTING_IDS_INVALID;
        if (updated_since_s < 0)
                return LISTING_SINCE_INVALID;
        if (page_token_parse_key(page_token, prefix, f->after) < 0)
                return LISTING_TOKEN_INVALID;
        f->status = status;
        f->ids = ids;
        f->n_ids = n_ids;
        f->updated_since_s = updated_since_s;
        f->limit = page_size_clamp(page_size, LISTING_PAGE_DEFAULT, LISTING_PAGE_MAX) + 1;
        return LISTING_OK;
}

bool listing_matches(const struct listing_filter *f, const char *key, int status, int64_t updated_s)
{
        if (f->after[0] && strcmp(key, f->after) <= 0)
                return false;
        if ((f->status && status != f->status) || updated_s < f->updated_since_s)
                return false;
        if (!f->n_ids)
                return true;
        for (size_t i = 0; i < f->n_ids; i++)
                if (!strcmp(f->ids[i], key))
                        return true;
        return false;
}

size_t listing_page(const struct listing_filter *f, size_t n,
                    const char *(*last_key)(const void *rows, size_t i), const void *rows,
                    char prefix, char next_token[PAGE_KEY_MAX + 1])
{
        next_token[0] = '\0';
        if (n < f->limit)
                return n;
        page_token_format_key(prefix, last_key(rows, f->limit - 2), next_token);
        return f->limit - 1;
}

static const char *row_key(const void *rows, size_t i, const struct listing_row_shape *shape)
{
        return (const char *)rows + i * shape->size + shape->key;
}

size_t listing_select(const struct listing_filter *f, const void *rows, size_t n,
                      const struct listing_row_shape *shape, void *out)
{
        size_t taken = 0;
        const char *last = f->after;
        while (taken < f->limit) { /* each round: the smallest matching key after the last */
                size_t next = n;
                for (size_t i = 0; i < n; i++) {
                        const char *row = (const char *)rows + i * shape->size;
                        const char *key = row_key(rows, i, shape);
                        int status = *(const int *)(row + shape->status);
                        int64_t updated = *(const int64_t *)(row + shape->updated);
                        if (strcmp(key, last) > 0 && listing_matches(f, key, status, updated) &&
                            (next == n || strcmp(key, row_key(rows, next, shape)) < 0))
                                next = i;
                }
                if (next == n)
                        break;
                memcpy((char *)out + taken++ * shape->size, (const char *)rows + next * shape->size,
                       shape->size);
                last = row_key(rows, next, shape);
        }
        return taken;
}
