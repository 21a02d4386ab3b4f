/* Catalog use cases; see catalog-app.h. */
#include "catalog-app.h"

#include "core/page.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t now(struct catalog_app *app)
{
        return core_env_now_s(&app->env);
}

static void cache_error(struct catalog_app *app, int err, const char *what)
{
        if (app->on_cache_error)
                app->on_cache_error(err, what);
}

static void invalidate(struct catalog_app *app, const char *id)
{
        int r = app->cache.ops->invalidate(app->cache.self, id);
        if (r < 0)
                cache_error(app, r, "invalidate");
}

int catalog_parse_update_mask(const char *const *paths, size_t n, unsigned *ret_fields)
{
        static const char *const names[] = {"title", "authors", "description", "category_id",
                                            "price"};
        unsigned fields = 0;
        for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                while (k < 5 && strcmp(paths[i], names[k]))
                        k++;
                if (k == 5)
                        return CE_UPDATE_MASK_INVALID;
                fields |= 1u << k;
        }
        if (!fields)
                return CE_UPDATE_MASK_INVALID;
        *ret_fields = fields;
        return CE_OK;
}

static int check_category(struct catalog_app *app, const char *id)
{
        if (!id || !*id)
                return CE_OK;
        bool exists = false;
        int r = app->repo.ops->category_exists(app->repo.self, id, &exists);
        if (r < 0)
                return r;
        return exists ? CE_OK : CE_CATEGORY_UNKNOWN;
}

/* Validates the chosen fields of `in` into b. */
static int apply(struct catalog_app *app, unsigned fields, const struct catalog_book_input *in,
                 struct catalog_book *b)
{
        int r = CE_OK;
        if (fields & CATALOG_UPDATE_TITLE) {
                if ((r = catalog_check_title(in->title)) != CE_OK)
                        return r;
                snprintf(b->title, sizeof(b->title), "%s", in->title);
        }
        if ((fields & CATALOG_UPDATE_AUTHORS) &&
            (r = catalog_join_authors(in->authors, in->n_authors, b->authors,
                                      sizeof(b->authors))) != CE_OK)
                return r;
        if (fields & CATALOG_UPDATE_DESCRIPTION) {
                if ((r = catalog_check_description(in->description)) != CE_OK)
                        return r;
                snprintf(b->description, sizeof(b->description), "%s", in->description);
        }
        if (fields & CATALOG_UPDATE_CATEGORY) {
                if ((r = check_category(app, in->category_id)) != CE_OK)
                        return r;
                snprintf(b->category_id, sizeof(b->category_id), "%s", in->category_id);
        }
        if (fields & CATALOG_UPDATE_PRICE) {
                if ((r = catalog_check_price(&in->price)) != CE_OK)
                        return r;
                b->price = in->price;
        }
        return CE_OK;
}

int catalog_create_book(struct catalog_app *app, const struct catalog_caller *caller,
                        const struct catalog_book_input *in, struct catalog_book *ret)
{
        struct catalog_book *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        int r = catalog_normalize_isbn13(in->isbn13, b->isbn13);
        if (r == CE_OK)
                r = apply(app,
                          CATALOG_UPDATE_TITLE | CATALOG_UPDATE_AUTHORS |
                                  CATALOG_UPDATE_DESCRIPTION | CATALOG_UPDATE_CATEGORY |
                                  CATALOG_UPDATE_PRICE,
                          in, b);
        if (r == CE_OK) {
                core_env_new_id(&app->env, b->id);
                snprintf(b->seller_id, sizeof(b->seller_id), "%s", caller->subject);
                b->status = BOOK_REGISTERED;
                b->created_at = b->updated_at = now(app);
                r = app->repo.ops->create_book(app->repo.self, b);
                if (r == -EEXIST)
                        r = CE_ISBN_TAKEN;
                else if (r == 0)
                        r = app->repo.ops->get_book(app->repo.self, b->id, ret); /* with its seq */
        }
        free(b);
        return r;
}

/* The book as stored, for a change by the caller. */
static int load_for_edit(struct catalog_app *app, const struct catalog_caller *caller,
                         const char *id, struct catalog_book *b)
{
        int r = app->repo.ops->get_book(app->repo.self, id, b);
        if (r == -ENOENT)
                return CE_BOOK_NOT_FOUND;
        if (r < 0)
                return r;
        if (!catalog_can_edit(b, caller))
                return catalog_can_view(b, caller) ? CE_NOT_OWNER : CE_BOOK_NOT_FOUND;
        return CE_OK;
}

int catalog_update_book(struct catalog_app *app, const struct catalog_caller *caller,
                        const char *id, unsigned fields, const struct catalog_book_input *in,
                        struct catalog_book *ret)
{
        int r = load_for_edit(app, caller, id, ret);
        if (r == CE_OK)
                r = apply(app, fields, in, ret);
        if (r != CE_OK)
                return r;
        ret->updated_at = now(app);
        if ((r = app->repo.ops->update_book(app->repo.self, ret)) < 0)
                return r == -ENOENT ? CE_BOOK_NOT_FOUND : r;
        invalidate(app, id); /* after the write: a read in between refills with the new row */
        return CE_OK;
}

int catalog_get_book(struct catalog_app *app, const struct catalog_caller *caller, const char *id,
                     bool fresh, struct catalog_book *ret)
{
        int64_t generation = 0;
        int r = fresh ? -ENOENT : app->cache.ops->get(app->cache.self, id, ret, &generation);
        if (r < 0) {
                /* an unreadable cache gives no generation: read, do not fill */
                bool fill = !fresh && r == -ENOENT;
                if (r != -ENOENT)
                        cache_error(app, r, "get");
                r = app->repo.ops->get_book(app->repo.self, id, ret);
                if (r == -ENOENT)
                        return CE_BOOK_NOT_FOUND;
                if (r < 0)
                        return r;
                int c = fill ? app->cache.ops->put(app->cache.self, ret, generation) : 0;
                if (c < 0)
                        cache_error(app, c, "put");
        }
        return catalog_can_view(ret, caller) ? CE_OK : CE_BOOK_NOT_FOUND;
}

int catalog_set_status(struct catalog_app *app, const struct catalog_caller *caller, const char *id,
                       enum catalog_status to, struct catalog_book *ret, char *explain,
                       size_t explain_len)
{
        if (to < BOOK_REGISTERED || to > BOOK_UNLISTED)
                return CE_STATUS_INVALID;
        /* a concurrent change makes the compare-and-set miss: look again, a few times */
        for (int attempt = 0; attempt < 3; attempt++) {
                int r = load_for_edit(app, caller, id, ret);
                if (r != CE_OK)
                        return r;
                if (ret->status == to)
                        return CE_OK; /* already there: idempotent */
                if ((r = catalog_check_transition(ret->status, to, explain, explain_len)) != CE_OK)
                        return r;
                int64_t at = now(app);
                r = app->repo.ops->set_status(app->repo.self, id, ret->status, to, at);
                if (r == -ESTALE)
                        continue;
                if (r < 0)
                        return r;
                invalidate(app, id);
                ret->status = to;
                ret->updated_at = at;
                return CE_OK;
        }
        return -EBUSY;
}

int catalog_list_books(struct catalog_app *app, const struct catalog_caller *caller,
                       const struct catalog_list_request *req, struct catalog_book *ret,
                       size_t *ret_n, char next_token[32])
{
        int64_t after;
        if (page_token_parse(req->page_token, 'b', &after) < 0)
                return CE_PAGE_TOKEN_INVALID;
        if (req->status && (req->status < BOOK_REGISTERED || req->status > BOOK_UNLISTED))
                return CE_STATUS_INVALID;
        size_t size = page_size_clamp(req->page_size, CATALOG_PAGE_DEFAULT, CATALOG_PAGE_MAX);
        bool admin = caller->role & ROLE_ADMIN;
        struct catalog_book_query q = {
                .visible_statuses = admin ? 0x1e : (1u << BOOK_ON_SALE | 1u << BOOK_SOLD_OUT),
                .owner_id = !admin && (caller->role & ROLE_SELLER) ? caller->subject : NULL,
                .category_id = req->category_id,
                .author = req->author,
                .status = req->status,
                .text = req->text,
                .after_seq = after,
                .limit = size + 1, /* one more tells whether a next page exists */
        };
        size_t n = 0;
        int r = app->repo.ops->list_books(app->repo.self, &q, ret, &n);
        if (r < 0)
                return r;
        next_token[0] = '\0';
        if (n > size) {
                n = size;
                page_token_format('b', ret[n - 1].seq, next_token);
        }
        *ret_n = n;
        return CE_OK;
}

int catalog_create_category(struct catalog_app *app, const char *name, struct catalog_category *ret)
{
        int r = catalog_check_category_name(name);
        if (r != CE_OK)
                return r;
        struct catalog_category c = {0};
        core_env_new_id(&app->env, c.id);
        snprintf(c.name, sizeof(c.name), "%s", name);
        r = app->repo.ops->create_category(app->repo.self, &c);
        if (r == -EEXIST)
                return CE_CATEGORY_TAKEN;
        if (r == 0)
                *ret = c;
        return r;
}

int catalog_list_categories(struct catalog_app *app, struct catalog_category *ret, size_t cap,
                            size_t *ret_n)
{
        return app->repo.ops->list_categories(app->repo.self, ret, cap, ret_n);
}

int catalog_list_best_sellers(struct catalog_app *app, const char *category_id, int32_t limit,
                              struct catalog_best_seller *ret, size_t *ret_n)
{
        if (limit < 0 || limit > CATALOG_BEST_MAX)
                return CE_LIMIT_INVALID;
        int r = app->repo.ops->list_best_sellers(
                app->repo.self, category_id, 1u << BOOK_ON_SALE | 1u << BOOK_SOLD_OUT,
                limit ? (size_t)limit : CATALOG_BEST_DEFAULT, ret, ret_n);
        return r < 0 ? r : CE_OK;
}
