/* Review use cases. RE_OK, a positive review_error, or a negative errno. */
#pragma once

#include "core/env.h"
#include "review-errors.h"
#include "review-ports.h"

struct review_app {
        struct review_store store;
        struct review_orders orders;
        struct core_env env;
};

/* CUSTOMER: one review per customer and book, once an order of theirs with
 * it was delivered. */
int review_create(struct review_app *app, const struct review_caller *caller, const char *book_id,
                  int rating, const char *text, struct review *ret);
/* The author. */
int review_update(struct review_app *app, const struct review_caller *caller, const char *id,
                  int rating, const char *text, struct review *ret);
int review_delete(struct review_app *app, const struct review_caller *caller, const char *id);
/* A hidden review is not found for others than its author and admins. */
int review_get(struct review_app *app, const struct review_caller *caller, const char *id,
               struct review *ret);
/* One page of a book's reviews; ret holds REVIEW_PAGE_MAX + 1. */
int review_list(struct review_app *app, const struct review_caller *caller, const char *book_id,
                int order, int32_t page_size, const char *page_token, struct review *ret,
                size_t *ret_n, char next_token[48]);
int review_rating(struct review_app *app, const char *book_id, struct rating_summary *ret);
/* The book's seller, once. */
int review_answer(struct review_app *app, const struct review_caller *caller, const char *id,
                  const char *text, struct review *ret);
/* Anyone signed in but the author; a second mark changes nothing. */
int review_mark_helpful(struct review_app *app, const struct review_caller *caller, const char *id,
                        struct review *ret);
/* ADMIN. Hiding a hidden review (or showing a visible one) changes nothing. */
int review_hide(struct review_app *app, const struct review_caller *caller, const char *id,
                const char *reason, struct review *ret);
int review_unhide(struct review_app *app, const struct review_caller *caller, const char *id,
                  struct review *ret);
