/* Payment use cases: PE_OK, a positive payment_error, or a negative errno. */
#pragma once

#include "payment-errors.h"
#include "payment-ports.h"

#include "core/roles.h"

struct payment_app {
        struct payment_store store;
        struct payment_provider provider;
        struct core_env env;
        int64_t fence_retention_ms; /* fences last this long (payment_prune_fences) */
};

struct payment_authorize_request {
        const char *order_id;
        const char *customer_id;
        struct payment_money amount;
        const char *token;
        int64_t deadline_left_ms; /* -1: none */
};

/* A decline is PE_OK with ret->status == PAYMENT_DECLINED. A repeat returns the
 * stored payment (never a second charge). The intent (AUTHORIZING) is stored
 * before the provider is asked; PE_DEADLINE when the caller's deadline passed
 * before that; PE_COMPENSATED when a void came first (the fence) or while the
 * provider was asked (the hold is then voided). */
int payment_authorize(struct payment_app *app, const struct payment_authorize_request *req,
                      struct payment *ret);
/* Capture, void or refund. What an earlier call started (an authorization the
 * provider has not answered in the store, a claimed action) is finished
 * first; the action is claimed in the store before the provider is asked. A
 * void or refund of an order without a payment leaves a fence (VOIDED, no
 * customer) and succeeds; undoing what was undone is a no-op. */
int payment_apply(struct payment_app *app, const char *order_id, enum payment_action action,
                  struct payment *ret);
/* The order's customer, admins and services; others get PE_NOT_FOUND. */
int payment_get(struct payment_app *app, const char *subject, unsigned role, const char *order_id,
                struct payment *ret);

/* ADMIN and SERVICE (checkout's reconciler): payments matching f, one page,
 * in order id order; ret holds f->limit. *ret_n counts the page's rows. */
int payment_list(struct payment_app *app, unsigned role, const struct listing_filter *f,
                 struct payment *ret, size_t *ret_n, char next_token[PAGE_KEY_MAX + 1]);

/* Retention (a chore: svc_add_retention): deletes fences older than
 * fence_retention_ms -- by then no request they fence off can arrive (each
 * carries a deadline far shorter, and a saga retries an action only until
 * its step deadline). */
int payment_prune_fences(struct payment_app *app);
