/* Ports of the payment service: where payments are kept (adapters/mysql) and
 * the payment provider (adapters/provider: a simulated one by default).
 * Negative errno results: -ENOENT, -EEXIST, -ESTALE (compare-and-set lost),
 * -EAGAIN (provider temporarily failing), -ETIMEDOUT. */
#pragma once

#include "core/env.h"

#include "core/listing.h"
#include "payment-rules.h"

struct payment {
        char id[37];
        char order_id[65];
        char customer_id[64];
        struct payment_money amount;
        enum payment_status status;
        char decline_reason[64];
        char provider_reference[64];
        char token[65]; /* the provider token (never card data), to ask again */
        int pending;    /* 0, or enum payment_action + 1: claimed, provider not yet done */
        int64_t created_at, updated_at;
};

/* A fence: no payment ever existed, an undo came first (no customer, no amount). */
static inline bool payment_is_fence(const struct payment *p)
{
        return !p->customer_id[0];
}

struct payment_store_ops {
        int (*find)(void *self, const char *order_id, struct payment *ret);
        /* -EEXIST when the order has a payment (or a fence) already. */
        int (*insert)(void *self, const struct payment *p);
        /* Compare-and-set: writes p's status, pending, reference, decline
         * reason and updated_at if the stored row still has status `from` and
         * pending `from_pending`; -ESTALE when another change came first. */
        int (*update)(void *self, const struct payment *p, enum payment_status from,
                      int from_pending);
        /* Up to f->limit payments matching f, in order id order (fences too). */
        int (*list)(void *self, const struct listing_filter *f, struct payment *ret, size_t *ret_n);
        /* Deletes fences last written before before_s (retention: no retry of
         * what they fence off can still arrive by then). */
        int (*prune_fences)(void *self, int64_t before_s, int64_t *ret_n);
};
struct payment_store {
        const struct payment_store_ops *ops;
        void *self;
};

struct payment_provider_result {
        bool approved;
        char decline_reason[64];
        char reference[64];
};

struct payment_provider_ops {
        /* Idempotent per key (the order id): asking again never charges twice. */
        int (*authorize)(void *self, const char *key, const char *token,
                         const struct payment_money *amount, int64_t deadline_left_ms,
                         struct payment_provider_result *ret);
        int (*capture)(void *self, const char *reference);
        int (*void_authorization)(void *self, const char *reference);
        int (*refund)(void *self, const char *reference);
};
struct payment_provider {
        const struct payment_provider_ops *ops;
        void *self;
};
