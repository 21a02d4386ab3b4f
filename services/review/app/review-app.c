/* See review-app.h. A change reads the review, applies a rule to a copy and
 * writes it with a compare-and-set on its version, reading again when
 * another change came first. */
#include "review-app.h"

#include "core/ids.h"
#include "core/page.h"
#include "core/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHANGE_TRIES = 4 };

const char *review_change_event(enum review_change c)
{
        static const char *const names[] = {
                [REVIEW_CREATED] = "review.created",   [REVIEW_UPDATED] = "review.updated",
                [REVIEW_DELETED] = "review.deleted",   [REVIEW_HIDDEN] = "review.hidden",
                [REVIEW_UNHIDDEN] = "review.unhidden", [REVIEW_ANSWERED] = "review.answered",
        };
        return names[c];
}

static bool review_id_ok(const char *id)
{
        return id && id_valid(id, 36);
}

int review_create(struct review_app *app, const struct review_caller *caller, const char *book_id,
                  int rating, const char *text, struct review *ret)
{
        if (!book_id || !id_valid(book_id, 63))
                return RE_BOOK_ID_INVALID;
        if (!review_rating_ok(rating))
                return RE_RATING_INVALID;
        if (!review_text_ok(text))
                return RE_TEXT_INVALID;
        char seller[64];
        int r = app->orders.ops->delivered(app->orders.self, caller->authorization, book_id,
                                           seller);
        if (r == -ENOENT)
                return RE_NOT_RECEIVED;
        if (r < 0)
                return RE_ORDERS_UNAVAILABLE;
        memset(ret, 0, sizeof(*ret));
        core_env_new_id(&app->env, ret->id);
        snprintf(ret->book_id, sizeof(ret->book_id), "%s", book_id);
        snprintf(ret->customer_id, sizeof(ret->customer_id), "%s", caller->subject);
        snprintf(ret->seller_id, sizeof(ret->seller_id), "%s", seller);
        ret->rating = rating;
        snprintf(ret->text, sizeof(ret->text), "%s", text);
        ret->created_ms = ret->updated_ms = core_env_now_ms(&app->env);
        struct rating_summary s;
        r = app->store.ops->insert(app->store.self, ret, &s);
        return r == -EEXIST ? RE_ALREADY_REVIEWED : r;
}

/* A rule applied to a fresh copy of the review: RE_OK with the change to
 * publish in *ret_change, RE_OK with nothing to change (*ret_change < 0), or
 * a refusal. */
typedef int (*review_rule)(const struct review_caller *caller, struct review *r, const void *arg,
                           int *ret_change);

static int change(struct review_app *app, const struct review_caller *caller, const char *id,
                  review_rule rule, const void *arg, struct review *ret)
{
        if (!review_id_ok(id))
                return RE_REVIEW_NOT_FOUND;
        struct review *before = malloc(sizeof(*before));
        if (!before)
                return -ENOMEM;
        int r = -ESTALE;
        for (int i = 0; i < CHANGE_TRIES && r == -ESTALE; i++) {
                r = app->store.ops->find(app->store.self, id, before);
                if (r == -ENOENT || (r == 0 && !review_visible_to(before, caller))) {
                        r = RE_REVIEW_NOT_FOUND;
                        break;
                }
                if (r < 0)
                        break;
                *ret = *before;
                int what = -1;
                if ((r = rule(caller, ret, arg, &what)) != RE_OK || what < 0)
                        break;
                ret->updated_ms = core_env_now_ms(&app->env);
                struct rating_summary s;
                r = app->store.ops->update(app->store.self, before, ret, (enum review_change)what,
                                           &s);
                if (r == -ENOENT)
                        r = RE_REVIEW_NOT_FOUND;
        }
        free(before);
        if (r == -ESTALE)
                return RE_BUSY;
        if (r == RE_OK)
                review_redact_for(ret, caller);
        return r;
}

struct edit {
        int rating;
        const char *text;
};

static int edit_rule(const struct review_caller *caller, struct review *r, const void *arg,
                     int *ret_change)
{
        const struct edit *e = arg;
        if (!review_is_author(r, caller))
                return RE_NOT_AUTHOR;
        r->rating = e->rating;
        snprintf(r->text, sizeof(r->text), "%s", e->text);
        *ret_change = REVIEW_UPDATED;
        return RE_OK;
}

int review_update(struct review_app *app, const struct review_caller *caller, const char *id,
                  int rating, const char *text, struct review *ret)
{
        if (!review_rating_ok(rating))
                return RE_RATING_INVALID;
        if (!review_text_ok(text))
                return RE_TEXT_INVALID;
        struct edit e = {rating, text};
        return change(app, caller, id, edit_rule, &e, ret);
}

int review_delete(struct review_app *app, const struct review_caller *caller, const char *id)
{
        if (!review_id_ok(id))
                return RE_REVIEW_NOT_FOUND;
        struct review *r = malloc(sizeof(*r));
        if (!r)
                return -ENOMEM;
        int rc = -ESTALE;
        for (int i = 0; i < CHANGE_TRIES && rc == -ESTALE; i++) {
                rc = app->store.ops->find(app->store.self, id, r);
                if (rc == -ENOENT || (rc == 0 && !review_visible_to(r, caller)))
                        rc = RE_REVIEW_NOT_FOUND;
                else if (rc == 0 && !review_is_author(r, caller))
                        rc = RE_NOT_AUTHOR;
                else if (rc == 0) {
                        struct rating_summary s;
                        rc = app->store.ops->remove(app->store.self, r, &s);
                        rc = rc == -ENOENT ? RE_REVIEW_NOT_FOUND : rc;
                }
        }
        free(r);
        return rc == -ESTALE ? RE_BUSY : rc;
}

int review_get(struct review_app *app, const struct review_caller *caller, const char *id,
               struct review *ret)
{
        if (!review_id_ok(id))
                return RE_REVIEW_NOT_FOUND;
        int r = app->store.ops->find(app->store.self, id, ret);
        if (r == -ENOENT || (r == 0 && !review_visible_to(ret, caller)))
                return RE_REVIEW_NOT_FOUND;
        if (r == 0)
                review_redact_for(ret, caller);
        return r;
}

int review_list(struct review_app *app, const struct review_caller *caller, const char *book_id,
                int order, int32_t page_size, const char *page_token, struct review *ret,
                size_t *ret_n, char next_token[48])
{
        if (!book_id || !id_valid(book_id, 63))
                return RE_BOOK_ID_INVALID;
        if (order == 0)
                order = REVIEW_NEWEST;
        if (order != REVIEW_NEWEST && order != REVIEW_MOST_HELPFUL)
                return RE_ORDER_INVALID;
        struct review_query q = {.book_id = book_id, .order = (enum review_order)order};
        int bad = order == REVIEW_NEWEST
                          ? page_token_parse(page_token, 'n', &q.after_seq)
                          : page_token_parse_pair(page_token, 'h', &q.after_helpful, &q.after_seq);
        if (bad)
                return RE_PAGE_TOKEN_INVALID;
        q.hidden_of = (caller->role & ROLE_ADMIN) ? NULL : caller->subject ? caller->subject : "";
        size_t size = page_size_clamp(page_size, REVIEW_PAGE_DEFAULT, REVIEW_PAGE_MAX);
        q.limit = size + 1;
        size_t n = 0;
        int r = app->store.ops->list(app->store.self, &q, ret, &n);
        if (r < 0)
                return r;
        next_token[0] = '\0';
        if (n > size) {
                n = size;
                const struct review *last = &ret[n - 1];
                if (order == REVIEW_NEWEST) {
                        char t[32];
                        page_token_format('n', last->seq, t);
                        snprintf(next_token, 48, "%s", t);
                } else {
                        page_token_format_pair('h', last->helpful, last->seq, next_token);
                }
        }
        for (size_t i = 0; i < n; i++)
                review_redact_for(&ret[i], caller);
        *ret_n = n;
        return RE_OK;
}

int review_rating(struct review_app *app, const char *book_id, struct rating_summary *ret)
{
        if (!book_id || !id_valid(book_id, 63))
                return RE_BOOK_ID_INVALID;
        return app->store.ops->summary(app->store.self, book_id, ret);
}

struct answer {
        const char *text;
        int64_t at_ms;
};

static int answer_rule(const struct review_caller *caller, struct review *r, const void *arg,
                       int *ret_change)
{
        const struct answer *a = arg;
        if (!(caller->role & ROLE_SELLER) || strcmp(r->seller_id, caller->subject))
                return RE_NOT_SELLER;
        if (r->answered_ms)
                return RE_ALREADY_ANSWERED;
        snprintf(r->answer, sizeof(r->answer), "%s", a->text);
        r->answered_ms = a->at_ms;
        *ret_change = REVIEW_ANSWERED;
        return RE_OK;
}

int review_answer(struct review_app *app, const struct review_caller *caller, const char *id,
                  const char *text, struct review *ret)
{
        if (!review_text_ok(text))
                return RE_ANSWER_INVALID;
        struct answer a = {text, core_env_now_ms(&app->env)};
        return change(app, caller, id, answer_rule, &a, ret);
}

int review_mark_helpful(struct review_app *app, const struct review_caller *caller, const char *id,
                        struct review *ret)
{
        int r = review_get(app, caller, id, ret);
        if (r != RE_OK)
                return r;
        if (review_is_author(ret, caller))
                return RE_OWN_REVIEW;
        r = app->store.ops->mark_helpful(app->store.self, id, caller->subject, ret);
        if (r == -EEXIST)
                r = 0; /* marked before: the same answer, so a retry is harmless */
        if (r == -ENOENT)
                return RE_REVIEW_NOT_FOUND;
        if (r == 0)
                review_redact_for(ret, caller);
        return r;
}

static int hide_rule(const struct review_caller *caller, struct review *r, const void *arg,
                     int *ret_change)
{
        const char *reason = arg;
        if (!(caller->role & ROLE_ADMIN))
                return RE_NOT_ADMIN;
        if (!reason == !r->hidden)
                return RE_OK; /* already as asked */
        r->hidden = reason != NULL;
        snprintf(r->hidden_reason, sizeof(r->hidden_reason), "%s", reason ? reason : "");
        *ret_change = reason ? REVIEW_HIDDEN : REVIEW_UNHIDDEN;
        return RE_OK;
}

int review_hide(struct review_app *app, const struct review_caller *caller, const char *id,
                const char *reason, struct review *ret)
{
        if (!utf8_line_ok(reason, REVIEW_REASON_MAX_BYTES))
                return RE_REASON_INVALID;
        return change(app, caller, id, hide_rule, reason, ret);
}

int review_unhide(struct review_app *app, const struct review_caller *caller, const char *id,
                  struct review *ret)
{
        return change(app, caller, id, hide_rule, NULL, ret);
}
