/* Ports of the checkout coordinator: the saga store (adapters/mysql), the
 * participants it drives (adapters/peers, over gRPC with its SERVICE token),
 * and the environment (clock, ids, jitter). Negative errno results: -ENOENT,
 * -EEXIST, -ESTALE (the saga's lease is someone else's), others:
 * infrastructure. */
#pragma once

#include "core/env.h"

#include "checkout-rules.h"
#include "core/page.h"
#include "reconcile.h"
#include "saga-operator.h"
#include "saga.h"

/* What each step last did, for GetSaga and WatchSaga. */
struct checkout_step_log {
        char last_error[256]; /* "CODE: message" */
        int64_t started_ms;   /* the first attempt of the current phase (run or undo) */
        int64_t updated_ms;
        int64_t elapsed_ms; /* the phase's time so far, summed from each coordinator's own
                               clock (its deadline and stuck timer count this) */
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
        char address_id[64];    /* the saved address asked for; "" when given inline */
        char payment_token[65]; /* a provider token, never card data */
        char reason[256];       /* a cancellation's reason */
        struct checkout_money total;
        char trace_id[33];
        int64_t created_ms, updated_ms;
        int64_t version; /* the store's, bumped by every write: operators compare-and-set on it */
};

/* One participant call of a step or compensation, for the saga's journal.
 * A save carries at most CHECKOUT_MAX_PENDING_ATTEMPTS of them. */
enum { CHECKOUT_MAX_PENDING_ATTEMPTS = 4 };
struct checkout_attempt {
        char step[32];
        bool compensation;
        enum saga_outcome outcome;
        char code[24];     /* the gRPC status name; "OK" */
        char message[232]; /* "" on success */
        int64_t started_ms, duration_ms;
};

/* An entry of the saga's audit trail: an operator's action. */
struct checkout_action {
        enum saga_op op;
        char actor[64];
        char reason[256];
        char step[32]; /* the step or compensation the saga was on */
        enum saga_status from, to;
        int64_t at_ms;
};

/* Unfinished and FAILED sagas by kind, status and age, for the metrics. */
enum { CHECKOUT_AGE_BUCKETS = 5, CHECKOUT_CENSUS_STATUSES = 3 };
/* The upper bounds of the age buckets but the last (1 min, 5 min, 1 h, 1 day). */
extern const int64_t checkout_age_bounds_ms[CHECKOUT_AGE_BUCKETS - 1];
extern const char *const checkout_age_names[CHECKOUT_AGE_BUCKETS];
/* The statuses counted, in the census's order. */
extern const enum saga_status checkout_census_statuses[CHECKOUT_CENSUS_STATUSES];
struct checkout_census {
        int64_t sagas[2][CHECKOUT_CENSUS_STATUSES][CHECKOUT_AGE_BUCKETS]; /* [kind - 1] */
        int64_t stuck[2];                                                 /* [kind - 1] */
        int64_t oldest_unfinished_ms; /* created_ms of the oldest unfinished saga; 0: none */
};
/* The bucket of an age in ms. */
size_t checkout_age_bucket(int64_t age_ms);

struct checkout_query {
        enum saga_status status; /* 0: any */
        enum checkout_kind kind; /* 0: any */
        bool stuck_only;
        int64_t created_before_ms;                 /* 0: any age */
        const char *customer_id, *order_id, *step; /* "" or NULL: any */
        int64_t before_seq; /* newest first: only seq < this; 0: from the newest */
        size_t limit;
};

/* What retention allows the saga store to let go of (checkout-app.h has the
 * settings): finished sagas (COMPLETED, COMPENSATED: never FAILED or
 * unfinished ones) last written before finished_before_ms, with their
 * journal and audit trail; and of every saga's journal all but its first
 * journal_head and last journal_tail attempts, counted (journal's total
 * stays every attempt ever made). */
struct checkout_retention {
        int64_t finished_before_ms; /* 0: keep finished sagas */
        size_t journal_head, journal_tail;
        size_t max_sagas; /* at most this many sagas deleted or trimmed per call */
};
struct checkout_pruned {
        int64_t sagas, attempts; /* deleted */
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
        /* Writes the saga's state under the owner's lease (renewing it), and
         * appends the attempts made since the last save to its journal (they
         * happened: appended also when the lease is lost); -ESTALE when the
         * lease is no longer this owner's. */
        int (*save)(void *self, const struct checkout_saga *s, const char *owner, int64_t lease_ms,
                    const struct checkout_attempt *attempts, size_t n_attempts);
        /* An operator's action: writes the saga's state when the stored
         * version is still s->version, releases its lease (whoever drives
         * it next claims it and continues from this state) and records the
         * action in the audit trail, with its events; -ESTALE when the saga
         * was written since it was read. */
        int (*operate)(void *self, const struct checkout_saga *s, const struct checkout_action *a);
        /* The newest `max` attempts, oldest first, and how many there are. */
        int (*journal)(void *self, const char *id, struct checkout_attempt *ret, size_t max,
                       size_t *ret_n, int64_t *ret_total);
        /* The audit trail, oldest first (at most max). */
        int (*actions)(void *self, const char *id, struct checkout_action *ret, size_t max,
                       size_t *ret_n);
        int (*census)(void *self, int64_t now_ms, struct checkout_census *ret);
        /* One page, in store order, of the unfinished sagas this owner holds or
         * whose lease ran out, after seq after_seq (0: from the first):
         * ids[i] with seqs[i]; fewer than max when there are no more. */
        int (*list_unfinished)(void *self, const char *owner, int64_t after_seq, char (*ids)[37],
                               int64_t *seqs, size_t max, size_t *ret_n);
        int (*list)(void *self, const struct checkout_query *q, struct checkout_saga *ret,
                    size_t *ret_n);
        /* Lets go of what r allows (a bounded amount; call again while it
         * deletes something). */
        int (*prune)(void *self, const struct checkout_retention *r, struct checkout_pruned *ret);
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

/* What a cancellation needs to know of the order. */
struct checkout_order_view {
        char customer_id[64];
        int status;                           /* bookstore.order.v1.OrderStatus */
        char sellers[CHECKOUT_MAX_ITEMS][64]; /* of its lines */
        size_t n_sellers;
};

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
                        struct checkout_order_view *ret);
        int (*saved_address)(void *self, const char *address_id, const char *authorization,
                             struct checkout_address *ret);
};
struct checkout_participants {
        const struct checkout_participants_ops *ops;
        void *self;
};

struct checkout_reconcile_report;

/* What the runner reports for metrics (adapters/metrics): each participant
 * call (step or compensation name, outcome, duration) and each saga that ended. */
struct checkout_observer_ops {
        void (*step_done)(void *self, const char *step, enum saga_outcome outcome, double seconds);
        void (*saga_ended)(void *self, enum checkout_kind kind, enum saga_status status);
        /* A saga was flagged stuck at this step or compensation. */
        void (*saga_stuck)(void *self, enum checkout_kind kind, const char *step);
        /* An operator acted on a saga. */
        void (*operator_action)(void *self, enum saga_op op);
        /* The sagas that are not over, counted now and then. */
        void (*census)(void *self, const struct checkout_census *c);
        /* A reconciliation pass ended (report NULL: it failed). */
        void (*reconciled)(void *self, const struct checkout_reconcile_report *report);
};
struct checkout_observer {
        const struct checkout_observer_ops *ops; /* NULL: nobody watches */
        void *self;
};

/* ---- the reconciler (reconciler.h) ------------------------------------------ */

/* One participant record of an order, as the reconciler compares them. */
struct checkout_view {
        char order_id[64];
        int status; /* the participant's enum */
        int64_t updated_s;
        char saga_id[37]; /* orders: the checkout saga that made it, when its key says so */
};

enum checkout_view_source {
        CHECKOUT_VIEW_ORDERS,
        CHECKOUT_VIEW_PAYMENTS,
        CHECKOUT_VIEW_RESERVATIONS,
};

/* Zero or empty: any. */
struct checkout_view_query {
        int status;
        const char *const *order_ids; /* at most LISTING_MAX_IDS */
        size_t n_order_ids;
        int64_t updated_since_s;
        const char *page_token;
};

enum { CHECKOUT_VIEW_PAGE = 100 };

/* The participants' listings (ListOrders, ListPayments, ListReservations),
 * read with the coordinator's SERVICE token. */
struct checkout_views_ops {
        /* One page of at most CHECKOUT_VIEW_PAGE records; next_token is ""
         * after the last. A participant's refusal is -EREMOTEIO. */
        int (*list)(void *self, enum checkout_view_source source,
                    const struct checkout_view_query *q, struct checkout_view *ret, size_t *ret_n,
                    char next_token[PAGE_KEY_MAX + 1]);
};
struct checkout_views {
        const struct checkout_views_ops *ops;
        void *self;
};

/* Same numbers as bookstore.checkout.v1.DivergenceStatus. */
enum divergence_status {
        DIVERGENCE_OPEN = 1,
        DIVERGENCE_REPAIRED = 2, /* the reconciler repaired it */
        DIVERGENCE_RESOLVED = 3, /* it went away (an operator, a late saga) */
};

struct checkout_divergence {
        int64_t seq; /* store order, for pages */
        char order_id[64];
        enum divergence_kind kind;
        enum divergence_status status;
        char detail[200]; /* what each side said when last seen */
        char repair[32];  /* the repair made, when REPAIRED */
        int64_t first_seen_ms, last_seen_ms, closed_ms;
};

struct checkout_divergence_query {
        enum divergence_status status; /* 0: any */
        enum divergence_kind kind;     /* 0: any */
        const char *order_id;          /* "" or NULL: any */
        int64_t before_seq;            /* newest first: only seq < this; 0: from the newest */
        size_t limit;
};

/* What the reconciler found, one row per order and kind; a divergence that
 * comes back after it was closed is open (and new) again. */
struct checkout_divergence_ops {
        /* It is there now: opened (*ret_new true) unless it was open already. */
        int (*seen)(void *self, const char *order_id, enum divergence_kind kind, const char *detail,
                    int64_t now_ms, bool *ret_new);
        /* Closes an open one: REPAIRED (with the repair's name) or RESOLVED.
         * -ENOENT when it was not open. */
        int (*close)(void *self, const char *order_id, enum divergence_kind kind,
                     enum divergence_status status, const char *repair, int64_t now_ms);
        /* A page of the open ones in store order, after after_seq. */
        int (*open)(void *self, int64_t after_seq, struct checkout_divergence *ret, size_t max,
                    size_t *ret_n);
        int (*list)(void *self, const struct checkout_divergence_query *q,
                    struct checkout_divergence *ret, size_t *ret_n);
        /* The open ones, by kind (index: the kind). */
        int (*count_open)(void *self, int64_t ret[DIVERGENCE_KINDS + 1]);
        /* Deletes closed ones (REPAIRED, RESOLVED) closed before before_ms. */
        int (*prune)(void *self, int64_t before_ms, int64_t *ret_n);
};
struct checkout_divergence_store {
        const struct checkout_divergence_ops *ops;
        void *self;
};

/* What one pass of the reconciler did. */
struct checkout_reconcile_report {
        size_t examined; /* orders compared */
        size_t found;    /* divergences new in this pass */
        size_t repaired; /* ... repaired in it */
        size_t resolved; /* open ones gone */
        size_t failed;   /* repairs that did not work (tried again next pass) */
        bool truncated;  /* more candidates than a pass takes */
        int64_t found_by_kind[DIVERGENCE_KINDS + 1], repaired_by_kind[DIVERGENCE_KINDS + 1];
        int64_t open[DIVERGENCE_KINDS + 1]; /* after the pass */
};
