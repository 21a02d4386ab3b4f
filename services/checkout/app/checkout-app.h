/* Checkout use cases: place an order (the checkout saga), cancel a confirmed
 * order (the cancellation saga), read and watch sagas. Results: CE_OK, a
 * positive checkout_error, or a negative errno. Sagas run on the runner's
 * threads (saga-runner.h); the calls here start them and wait for them. */
#pragma once

#include "checkout-ports.h"
#include "core/roles.h"

#include <stdbool.h>

enum {
        CHECKOUT_PAGE_DEFAULT = 20,
        CHECKOUT_PAGE_MAX = 100,
};

struct checkout_config {
        struct saga_retry_policy policy;
        int64_t step_deadline_ms;   /* a forward step before the pivot gets this long,
                                       retries included */
        int64_t stuck_after_ms;     /* no progress for this long: the saga is flagged stuck */
        int64_t lease_ms;           /* how long a claimed saga stays this owner's */
        int64_t resume_interval_ms; /* how often unfinished sagas are looked for */
        int64_t wait_ms;            /* how long PlaceOrder waits when the call has no deadline */
        int runners;                /* threads that run sagas */
        char owner[128];            /* this coordinator, in the store's leases */
        /* the reconciler (reconciler.h) */
        int64_t reconcile_interval_ms; /* 0: passes only on request */
        int64_t reconcile_window_ms;   /* records changed this recently are compared */
        int64_t reconcile_grace_ms;    /* an order changed this recently is left alone */
        int64_t reconcile_max_orders;  /* orders one pass compares at most */
        bool reconcile_repair;         /* repair the kinds that have a safe repair */
        /* retention (checkout_retain) */
        int64_t retention_ms; /* finished sagas and closed divergences kept this long; 0: forever */
        size_t journal_keep;  /* attempts a saga's journal keeps: the first and last halves */
};

/* The lease must outlast what a coordinator does between two writes of a
 * saga -- a step's participant calls (two for confirm and the undos; call_ms
 * each, the peers' timeout) after a backoff of up to 1.5 x
 * policy.max_delay_ms (its jitter) -- or a second coordinator takes the saga
 * while the first one's call is still out. 0, or -EINVAL with a message
 * naming the settings. */
int checkout_config_check(const struct checkout_config *cfg, int64_t call_ms, char *err,
                          size_t err_len);

struct saga_hub;
struct saga_runner;
struct reconciler;

struct checkout_app {
        struct checkout_store store;
        struct checkout_participants peers;
        struct core_env env;
        struct checkout_observer observer;
        struct checkout_config cfg;
        /* Fault injection for drills: called after a participant answered a
         * step, before the answer is recorded. NULL in normal operation. */
        void (*after_step)(void *ctx, const char *step);
        void *after_step_ctx;
        /* the reconciler's ports (views.ops NULL: no reconciler) */
        struct checkout_views views;
        struct checkout_divergence_store divergences;
        /* set by checkout_app_start */
        struct saga_hub *hub;
        struct saga_runner *runner;
        struct reconciler *reconciler;
};

/* Stores a new saga (kind, customer, input set; state and times set here,
 * and the id when empty) with its first step running, under this coordinator's lease.
 * -EEXIST: the customer's key for this kind is taken. The runner (or a
 * simulation, through saga-drive.h) drives it from there. */
int checkout_saga_insert(struct checkout_app *app, struct checkout_saga *s);
/* Lets go of what retention allows: COMPLETED and COMPENSATED sagas last
 * written retention_ms ago (with their journal and audit trail; FAILED ones
 * wait for a person), closed divergences as old, and every journal's
 * attempts beyond its first and last journal_keep / 2 (counted). A chore:
 * the service runs it now and then (svc_add_chore). */
int checkout_retain(struct checkout_app *app);
/* Starts the runner threads and resumes the unfinished sagas. */
int checkout_app_start(struct checkout_app *app);
/* Stops the runners; running sagas stop between steps and resume at the next start. */
void checkout_app_stop(struct checkout_app *app);

struct checkout_caller {
        const char *subject;
        unsigned role;
        const char *authorization; /* for reads done as the caller (saved address, order owner) */
        const char *trace_id;
};

struct checkout_place_request {
        const struct checkout_item *items;
        size_t n_items;
        const char *shipping_address_id;               /* "" or an id of the caller's */
        const struct checkout_address *inline_address; /* NULL when not given */
        const char *payment_token;
        const char *idempotency_key;
};

/* How long a call waits for its saga to end; stop(ctx) (may be NULL) ends
 * the wait early, e.g. when the server is shutting down. */
struct checkout_wait {
        int64_t ms;
        bool (*stop)(void *ctx);
        void *ctx;
};

/* Starts (or finds, for a known idempotency key) the checkout saga and waits
 * for it to end; ret is the saga as it stands then (RUNNING when the wait ran
 * out: the saga goes on). */
int checkout_place(struct checkout_app *app, const struct checkout_caller *caller,
                   const struct checkout_place_request *req, const struct checkout_wait *wait,
                   struct checkout_saga *ret);
/* The cancellation saga of a confirmed order (one per order). */
int checkout_cancel(struct checkout_app *app, const struct checkout_caller *caller,
                    const char *order_id, const char *reason, const struct checkout_wait *wait,
                    struct checkout_saga *ret);
/* A seller of a book in a confirmed order refuses it: the same cancellation
 * saga, the order's reason "refused by the seller: <reason>". */
enum { CHECKOUT_REFUSAL_REASON_MAX = 160 };
int checkout_refuse(struct checkout_app *app, const struct checkout_caller *caller,
                    const char *order_id, const char *reason, const struct checkout_wait *wait,
                    struct checkout_saga *ret);
/* Exactly one of saga_id and order_id non-empty; the owner or an admin. */
int checkout_get(struct checkout_app *app, const struct checkout_caller *caller,
                 const char *saga_id, const char *order_id, struct checkout_saga *ret);
/* What ListSagas may filter on; zero or empty: any. */
struct checkout_list_filter {
        enum saga_status status;
        enum checkout_kind kind;
        bool stuck_only;
        int64_t min_age_s; /* created at least this long ago */
        const char *customer_id, *order_id, *step;
};
/* Newest first; ret must hold CHECKOUT_PAGE_MAX + 1 sagas. */
int checkout_list(struct checkout_app *app, const struct checkout_list_filter *f, int32_t page_size,
                  const char *page_token, struct checkout_saga *ret, size_t *ret_n,
                  char next_token[32]);

/* An operator's action (ADMIN; checkout-operate.c): the saga as written
 * and the audit entry. CE_OP_* when refused, -EAGAIN when the saga kept
 * changing while it was tried. */
int checkout_operate(struct checkout_app *app, const struct checkout_caller *caller,
                     const char *saga_id, const struct saga_op_request *req,
                     struct checkout_saga *ret, struct checkout_action *ret_action);

enum { CHECKOUT_JOURNAL_MAX = 500, CHECKOUT_ACTIONS_MAX = 100 };
/* The journal (the newest CHECKOUT_JOURNAL_MAX attempts, oldest first) and
 * the audit trail of a saga, for admins. */
struct checkout_history {
        struct checkout_attempt attempts[CHECKOUT_JOURNAL_MAX];
        size_t n_attempts;
        int64_t total_attempts;
        struct checkout_action actions[CHECKOUT_ACTIONS_MAX];
        size_t n_actions;
};
int checkout_history(struct checkout_app *app, const char *saga_id, struct checkout_history *ret);

/* Sends the saga now and after every change until it is final, emit fails,
 * or stop(stop_ctx) says the watcher is gone. */
typedef int (*checkout_emit_fn)(void *ctx, const struct checkout_saga *s);
int checkout_watch(struct checkout_app *app, const struct checkout_caller *caller,
                   const char *saga_id, checkout_emit_fn emit, void *emit_ctx,
                   bool (*stop)(void *ctx), void *stop_ctx);

/* ADMIN: one reconciliation pass now (reconciler.h); CE_NO_RECONCILER when
 * this coordinator has none. */
int checkout_reconcile(struct checkout_app *app, const struct checkout_caller *caller,
                       struct checkout_reconcile_report *ret);
/* ADMIN: what the reconciler found, newest first; ret holds
 * CHECKOUT_PAGE_MAX + 1. */
int checkout_list_divergences(struct checkout_app *app, const struct checkout_caller *caller,
                              enum divergence_status status, enum divergence_kind kind,
                              const char *order_id, int32_t page_size, const char *page_token,
                              struct checkout_divergence *ret, size_t *ret_n, char next_token[32]);
