/* Ports of the checkout coordinator: the saga store (adapters/mysql), the
 * participants it drives (adapters/peers, over gRPC with its SERVICE token),
 * and the environment (clock, ids, jitter). Negative errno results: -ENOENT,
 * -EEXIST, -ESTALE (the saga's lease is someone else's), others:
 * infrastructure. */
#pragma once

#include "core/env.h"

#include "checkout-rules.h"
#include "saga.h"

/* What each step last did, for GetSaga and WatchSaga. */
struct checkout_step_log {
        char last_error[256]; /* "CODE: message" */
        int64_t started_ms;   /* the first attempt of the current phase (run or undo) */
        int64_t updated_ms;
};

/* One saga: its definition's state plus the data the steps need. */
struct checkout_saga {
        char id[37];
        int64_t seq; /* store order, for pages */
        enum checkout_kind kind;
        struct saga_state state;
        struct checkout_step_log log[SAGA_MAX_STEPS];
        char customer_id[64];
        char idempotency_key[72]; /* the client's; "cancel:<order id>" for cancellations */
        char order_id[64];        /* set by place_order; given for cancellations */
        struct checkout_item items[CHECKOUT_MAX_ITEMS];
        size_t n_items;
        struct checkout_address address;
        char payment_token[65]; /* a provider token, never card data */
        char reason[256];       /* a cancellation's reason */
        struct checkout_money total;
        char trace_id[33];
        int64_t created_ms, updated_ms;
};

struct checkout_query {
        enum saga_status status; /* 0: any */
        enum checkout_kind kind; /* 0: any */
        int64_t before_seq;      /* newest first: only seq < this; 0: from the newest */
        size_t limit;
};

/* Leases are measured on the store's clock (the database's, for MariaDB), so
 * replicas whose clocks disagree never both hold a saga: a caller says how
 * long (lease_ms), never until when. */
struct checkout_store_ops {
        /* -EEXIST when this customer already used this idempotency key for a
         * saga of this kind (each kind has its own keys). */
        int (*insert)(void *self, const struct checkout_saga *s, const char *owner,
                      int64_t lease_ms);
        int (*find)(void *self, const char *id, struct checkout_saga *ret);
        int (*find_by_key)(void *self, const char *customer_id, enum checkout_kind kind,
                           const char *key, struct checkout_saga *ret);
        /* The newest saga of this order. */
        int (*find_by_order)(void *self, const char *order_id, struct checkout_saga *ret);
        /* Takes (or renews) the lease of an unfinished saga and loads it;
         * -ESTALE when another owner holds an unexpired lease or it is final. */
        int (*claim)(void *self, const char *id, const char *owner, int64_t lease_ms,
                     struct checkout_saga *ret);
        /* Writes the saga's state under the owner's lease (renewing it);
         * -ESTALE when the lease is no longer this owner's. */
        int (*save)(void *self, const struct checkout_saga *s, const char *owner, int64_t lease_ms);
        /* One page, in store order, of the unfinished sagas this owner holds or
         * whose lease ran out, after seq after_seq (0: from the first):
         * ids[i] with seqs[i]; fewer than max when there are no more. */
        int (*list_unfinished)(void *self, const char *owner, int64_t after_seq, char (*ids)[37],
                               int64_t *seqs, size_t max, size_t *ret_n);
        int (*list)(void *self, const struct checkout_query *q, struct checkout_saga *ret,
                    size_t *ret_n);
};
struct checkout_store {
        const struct checkout_store_ops *ops;
        void *self;
};

/* How a participant call ended, in the saga engine's terms. */
struct checkout_reply {
        enum saga_outcome outcome;
        char error[256]; /* "CODE: message" when not OK */
};

/* Every participant call carries the idempotency key "saga_id:step" and the
 * saga's trace id. */
struct checkout_call {
        const char *idempotency_key;
        const char *trace_id;
};

enum checkout_payment_op { CHECKOUT_PAY_CAPTURE, CHECKOUT_PAY_VOID, CHECKOUT_PAY_REFUND };
enum checkout_stock_op { CHECKOUT_STOCK_RELEASE, CHECKOUT_STOCK_COMMIT, CHECKOUT_STOCK_RESTOCK };

struct checkout_participants_ops {
        /* The order for this saga (idempotent per call->idempotency_key); fills
         * order_id and total on OK. */
        void (*create_order)(void *self, const struct checkout_call *call,
                             const struct checkout_saga *s, char order_id[64],
                             struct checkout_money *total, struct checkout_reply *ret);
        void (*set_order_status)(void *self, const struct checkout_call *call, const char *order_id,
                                 enum checkout_order_status status, const char *reason,
                                 struct checkout_reply *ret);
        /* A decline is a BUSINESS outcome with the provider's reason. */
        void (*authorize)(void *self, const struct checkout_call *call, const char *order_id,
                          const char *customer_id, const struct checkout_money *amount,
                          const char *token, struct checkout_reply *ret);
        void (*payment)(void *self, const struct checkout_call *call, enum checkout_payment_op op,
                        const char *order_id, struct checkout_reply *ret);
        void (*reserve)(void *self, const struct checkout_call *call, const char *order_id,
                        const struct checkout_item *items, size_t n, struct checkout_reply *ret);
        void (*stock)(void *self, const struct checkout_call *call, enum checkout_stock_op op,
                      const char *order_id, struct checkout_reply *ret);

        /* Synchronous reads for the request itself, with the caller's token. */
        int (*order_of)(void *self, const char *order_id, const char *authorization,
                        char customer_id[64], int *ret_status);
        int (*saved_address)(void *self, const char *address_id, const char *authorization,
                             struct checkout_address *ret);
};
struct checkout_participants {
        const struct checkout_participants_ops *ops;
        void *self;
};

/* What the runner reports for metrics (adapters/metrics): each participant
 * call (step or compensation name, outcome, duration) and each saga that ended. */
struct checkout_observer_ops {
        void (*step_done)(void *self, const char *step, enum saga_outcome outcome, double seconds);
        void (*saga_ended)(void *self, enum checkout_kind kind, enum saga_status status);
        /* A saga was flagged stuck at this step or compensation. */
        void (*saga_stuck)(void *self, enum checkout_kind kind, const char *step);
};
struct checkout_observer {
        const struct checkout_observer_ops *ops; /* NULL: nobody watches */
        void *self;
};
