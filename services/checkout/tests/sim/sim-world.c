/* The simulation's world; see sim-world.h. */
#include "sim-world.h"

#include "checkout-mysql.h"
#include "core/log.h"
#include "inventory-mysql.h"
#include "order-mysql.h"
#include "payment-mysql.h"
#include "sim-db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
        PEER_TIMEOUT_MS = 2000, /* what a lost request or reply costs the caller */
        RESTART_MS = 700,       /* a coordinator's restart */
        LEASE_MS = 3000,
        SCAN_MS = 1000,
        NESTED_WINDOW_MS = 1500, /* how long a slow provider call lets the world run */
};

/* ---- randomness and the trace -------------------------------------------- */

uint64_t sim_rand(struct sim_world *w)
{
        uint64_t x = w->rng; /* xorshift64* */
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        w->rng = x;
        return x * 2685821657736338717ull;
}

bool sim_chance(struct sim_world *w, int per_mille)
{
        return per_mille > 0 && (int)(sim_rand(w) % 1000) < per_mille;
}

static int64_t between(struct sim_world *w, int64_t lo, int64_t hi)
{
        return lo + (int64_t)(sim_rand(w) % (uint64_t)(hi - lo + 1));
}

void sim_trace(struct sim_world *w, const char *fmt, ...)
{
        char line[512];
        int n = snprintf(line, sizeof(line), "%8lld ms  ", (long long)w->now_ms);
        va_list ap;
        va_start(ap, fmt);
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        if (n >= (int)sizeof(line) - 1)
                n = (int)sizeof(line) - 2;
        line[n++] = '\n';
        if (w->trace_len + (size_t)n + 1 > w->trace_cap) {
                size_t cap = w->trace_cap ? w->trace_cap * 2 : 16384;
                char *t = realloc(w->trace, cap);
                if (!t)
                        return;
                w->trace = t;
                w->trace_cap = cap;
        }
        memcpy(w->trace + w->trace_len, line, (size_t)n);
        w->trace_len += (size_t)n;
        w->trace[w->trace_len] = '\0';
}

/* ---- the environment: clock, ids, jitter --------------------------------- */

static int64_t env_now_ms(void *self)
{
        return ((struct sim_world *)self)->now_ms;
}

static void env_new_id(void *self, char out[37])
{
        struct sim_world *w = self;
        snprintf(out, 37, "00000000-0000-4000-8000-%012llx", (unsigned long long)++w->ids);
}

static void env_random(void *self, void *buf, size_t len)
{
        unsigned char *p = buf;
        for (size_t i = 0; i < len; i++)
                p[i] = (unsigned char)(sim_rand(self) >> 32);
}

/* One environment for every part of the world: the simulated clock. */
static const struct core_env_ops env_ops = {
        .now_ms = env_now_ms, .new_id = env_new_id, .random = env_random};

/* ---- the payment participant can crash inside an operation ---------------- */

/* A write after the crash point fails (-EIO) and so does every later one of
 * that operation: what was written before stays, like rows in a database. */
static int crash_point(struct sim_world *w)
{
        if (w->payment_crashed)
                return -EIO;
        if (w->payment_writes_left < 0)
                return 0;
        if (w->payment_writes_left-- == 0) {
                w->payment_crashed = true;
                w->stats.payment_crashes++;
                sim_trace(w, "  payment crashes before a write");
                return -EIO;
        }
        return 0;
}

static int pay_find(void *self, const char *order_id, struct payment *ret)
{
        struct sim_world *w = self;
        if (w->payment_crashed)
                return -EIO;
        return w->payment_real.ops->find(w->payment_real.self, order_id, ret);
}

static int pay_insert(void *self, const struct payment *p)
{
        struct sim_world *w = self;
        int r = crash_point(w);
        return r ? r : w->payment_real.ops->insert(w->payment_real.self, p);
}

static int pay_update(void *self, const struct payment *p, enum payment_status from,
                      int from_pending)
{
        struct sim_world *w = self;
        int r = crash_point(w);
        return r ? r : w->payment_real.ops->update(w->payment_real.self, p, from, from_pending);
}

static const struct payment_store_ops crashing_payments = {
        .find = pay_find, .insert = pay_insert, .update = pay_update};

static bool faults_on(struct sim_world *w)
{
        return w->now_ms < w->faults.until_ms;
}

/* ---- the coordinator can crash: its writes fail until it restarts --------- */

static int co_insert(void *self, const struct checkout_saga *s, const char *owner, int64_t lease_ms)
{
        struct sim_world *w = self;
        return w->coordinator_down
                       ? -ESTALE
                       : w->sagas_real.ops->insert(w->sagas_real.self, s, owner, lease_ms);
}

static int co_find(void *self, const char *id, struct checkout_saga *ret)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->find(w->sagas_real.self, id, ret);
}

static int co_find_by_key(void *self, const char *customer_id, enum checkout_kind kind,
                          const char *key, struct checkout_saga *ret)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->find_by_key(w->sagas_real.self, customer_id, kind, key, ret);
}

static int co_find_by_order(void *self, const char *order_id, struct checkout_saga *ret)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->find_by_order(w->sagas_real.self, order_id, ret);
}

static int co_claim(void *self, const char *id, const char *owner, int64_t lease_ms,
                    struct checkout_saga *ret)
{
        struct sim_world *w = self;
        return w->coordinator_down
                       ? -ESTALE
                       : w->sagas_real.ops->claim(w->sagas_real.self, id, owner, lease_ms, ret);
}

static int co_save(void *self, const struct checkout_saga *s, const char *owner, int64_t lease_ms,
                   const struct checkout_attempt *attempts, size_t n_attempts)
{
        struct sim_world *w = self;
        if (w->coordinator_down)
                return -ESTALE;
        int r = w->sagas_real.ops->save(w->sagas_real.self, s, owner, lease_ms, attempts,
                                        n_attempts);
        if (r == 0 && faults_on(w) && sim_chance(w, w->faults.commit_answer_lost)) {
                w->stats.commit_answers_lost++;
                sim_trace(w, "  the saga's write committed; its answer is lost");
                return -EINPROGRESS; /* as libs/db answers a COMMIT without an answer */
        }
        return r;
}

/* Operators act on the store, not through the coordinator: never down. */
static int co_operate(void *self, const struct checkout_saga *s, const struct checkout_action *a)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->operate(w->sagas_real.self, s, a);
}

static int co_journal(void *self, const char *id, struct checkout_attempt *ret, size_t max,
                      size_t *ret_n, int64_t *ret_total)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->journal(w->sagas_real.self, id, ret, max, ret_n, ret_total);
}

static int co_actions(void *self, const char *id, struct checkout_action *ret, size_t max,
                      size_t *ret_n)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->actions(w->sagas_real.self, id, ret, max, ret_n);
}

static int co_census(void *self, int64_t now_ms, struct checkout_census *ret)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->census(w->sagas_real.self, now_ms, ret);
}

static int co_list_unfinished(void *self, const char *owner, int64_t after_seq, char (*ids)[37],
                              int64_t *seqs, size_t max, size_t *ret_n)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->list_unfinished(w->sagas_real.self, owner, after_seq, ids, seqs,
                                                  max, ret_n);
}

static int co_list(void *self, const struct checkout_query *q, struct checkout_saga *ret,
                   size_t *ret_n)
{
        struct sim_world *w = self;
        return w->sagas_real.ops->list(w->sagas_real.self, q, ret, ret_n);
}

static const struct checkout_store_ops crashing_sagas = {
        .insert = co_insert,
        .find = co_find,
        .find_by_key = co_find_by_key,
        .find_by_order = co_find_by_order,
        .claim = co_claim,
        .save = co_save,
        .list_unfinished = co_list_unfinished,
        .list = co_list,
        .operate = co_operate,
        .journal = co_journal,
        .actions = co_actions,
        .census = co_census,
};

/* ---- the network ----------------------------------------------------------- */

static const char *const kind_names[] = {
        [SIM_CREATE_ORDER] = "CreateOrder",   [SIM_SET_STATUS] = "ChangeOrderStatus",
        [SIM_AUTHORIZE] = "AuthorizePayment", [SIM_PAYMENT] = "Capture/Void/Refund",
        [SIM_RESERVE] = "ReserveStock",       [SIM_STOCK] = "Release/Commit/Restock",
};

/* Every call carries a key, and one key always names one operation. */
static void check_key(struct sim_world *w, const struct sim_call *c)
{
        int kind = (int)c->kind * 16 + c->op;
        if (!c->key[0] && !w->key_error[0])
                snprintf(w->key_error, sizeof(w->key_error), "%s without a key",
                         kind_names[c->kind]);
        for (size_t i = 0; i < w->n_keys; i++)
                if (!strcmp(w->keys[i].key, c->key)) {
                        if (w->keys[i].kind != kind && !w->key_error[0])
                                snprintf(w->key_error, sizeof(w->key_error),
                                         "key %s used for two operations", c->key);
                        return;
                }
        if (w->n_keys < SIM_MAX_KEYS) {
                snprintf(w->keys[w->n_keys].key, sizeof(w->keys[0].key), "%s", c->key);
                w->keys[w->n_keys++].kind = kind;
        }
}

/* The call applied at the participant now. */
static void deliver(struct sim_world *w, struct sim_call *c, int64_t deadline_left_ms,
                    struct checkout_reply *ret)
{
        const struct checkout_participants_ops *p = checkout_peers_memory(&w->inproc).ops;
        void *self = &w->inproc;
        struct checkout_call call = {.idempotency_key = c->key, .trace_id = ""};
        bool payment = c->kind == SIM_AUTHORIZE || c->kind == SIM_PAYMENT;
        w->inproc.deadline_left_ms = deadline_left_ms;
        w->payment_crashed = false;
        w->payment_writes_left =
                payment && sim_chance(w, w->faults.payment_crash) ? (int)between(w, 0, 2) : -1;
        switch (c->kind) {
        case SIM_CREATE_ORDER:
                p->create_order(self, &call, c->saga, c->out_order_id, &c->out_total, ret);
                break;
        case SIM_SET_STATUS:
                p->set_order_status(self, &call, c->order_id, (enum checkout_order_status)c->op,
                                    c->reason, ret);
                break;
        case SIM_AUTHORIZE:
                p->authorize(self, &call, c->order_id, c->customer_id, &c->amount, c->token, ret);
                break;
        case SIM_PAYMENT:
                p->payment(self, &call, (enum checkout_payment_op)c->op, c->order_id, ret);
                break;
        case SIM_RESERVE:
                p->reserve(self, &call, c->order_id, c->items, c->n_items, ret);
                break;
        case SIM_STOCK:
                p->stock(self, &call, (enum checkout_stock_op)c->op, c->order_id, ret);
                break;
        }
        if (w->payment_crashed) /* the process died: no answer comes back */
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error = "UNAVAILABLE: connection reset"};
        w->payment_writes_left = -1;
        w->payment_crashed = false;
        sim_trace(w, "  %s %s (op %d) key=%s applied: %s", kind_names[c->kind], c->order_id, c->op,
                  c->key, ret->outcome == SAGA_OUTCOME_OK ? "ok" : ret->error);
}

static void hold_back(struct sim_world *w, const struct sim_call *c, int64_t at_ms,
                      int64_t deadline_left_ms)
{
        for (size_t i = 0; i < SIM_MAX_LATE; i++) {
                struct sim_late *l = &w->late[i];
                if (l->live)
                        continue;
                l->live = true;
                l->at_ms = at_ms;
                l->deadline_left_ms = deadline_left_ms;
                l->call = *c;
                if (c->saga) {
                        l->saga = *c->saga;
                        l->call.saga = &l->saga;
                }
                sim_trace(w, "  %s key=%s held back until %lld ms", kind_names[c->kind], c->key,
                          (long long)at_ms);
                w->stats.late++;
                return;
        }
}

static void crash_coordinator(struct sim_world *w, const char *when)
{
        if (w->coordinator_down)
                return;
        w->coordinator_down = true;
        w->stats.coordinator_crashes++;
        sim_trace(w, "coordinator crashes %s", when);
        void (*hook)(struct sim_world *) = w->script.while_down;
        w->script.while_down = NULL;
        if (hook) /* someone acts while no coordinator runs */
                hook(w);
}

/* An operator acts on the saga of call c while c is out (or between its
 * calls, c naming only the saga): the driver's answer to c must not undo
 * the action. Woken or not: the replica that
 * holds the saga may be this one (woken at once) or another (it finds out
 * at its next write). MarkResolved is left out: it says an operator
 * settled the saga by hand, which nobody does here. */
static void operator_acts(struct sim_world *w, const struct sim_call *c)
{
        static const enum saga_op ops[] = {SAGA_OP_RETRY_NOW, SAGA_OP_RESUME,
                                           SAGA_OP_FORCE_COMPENSATE};
        static const struct checkout_caller admin = {.subject = "operator", .role = ROLE_ADMIN};
        char id[37];
        snprintf(id, sizeof(id), "%.36s", c->key);
        struct saga_op_request req = {.op = ops[sim_rand(w) % 3], .reason = "simulated operator"};
        struct checkout_saga *s = malloc(sizeof(*s));
        struct checkout_action a;
        int r = s ? checkout_operate(&w->app, &admin, id, &req, s, &a) : -ENOMEM;
        free(s);
        sim_trace(w, "  operator %s on %s: %d", saga_op_name(req.op), id, r);
        if (r != CE_OK) {
                w->stats.operator_refusals++;
                return;
        }
        w->stats.operator_actions++;
        struct sim_job *j = NULL;
        for (size_t i = 0; i < SIM_MAX_SAGAS && !j; i++)
                if (w->jobs[i].live && !strcmp(w->jobs[i].job.saga.id, id))
                        j = &w->jobs[i];
        if (j && sim_chance(w, 500))
                j->job.reload = true;
}

/* What the network does to one call, and the reply the caller sees. */
static void network(struct sim_world *w, struct sim_call *c, struct checkout_reply *ret)
{
        const struct sim_faults *f = &w->faults;
        check_key(w, c);
        w->stats.calls++;
        w->now_ms += between(w, 1, 20);
        sim_trace(w, "call %s %s op %d key=%s", kind_names[c->kind], c->order_id, c->op, c->key);
        bool faulty = faults_on(w);
        struct sim_script *sc = &w->script;
        if (faulty && sim_chance(w, f->operator))
                operator_acts(w, c);
        if (faulty && sim_chance(w, f->coordinator_crash / 2)) {
                crash_coordinator(w, "before the request left");
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_UNREACHED,
                                               .error = "UNAVAILABLE: process gone"};
                return;
        }
        if (sc->late[c->kind] > 0) {
                sc->late[c->kind]--;
                hold_back(w, c, w->now_ms + sc->late_by_ms, PEER_TIMEOUT_MS);
                w->now_ms += PEER_TIMEOUT_MS;
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error = "DEADLINE_EXCEEDED: deadline exceeded"};
                return;
        }
        if ((faulty && sim_chance(w, f->refuse)) || w->now_ms < sc->down_until_ms[c->kind]) {
                sim_trace(w, "  refused: no connection");
                w->stats.refused++;
                *ret = (struct checkout_reply){
                        .outcome = SAGA_OUTCOME_UNREACHED,
                        .error = "UNAVAILABLE: failed to connect to all addresses"};
                return;
        }
        if (faulty && sim_chance(w, f->drop_request)) {
                sim_trace(w, "  request lost");
                w->stats.requests_lost++;
                w->now_ms += PEER_TIMEOUT_MS;
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error = "DEADLINE_EXCEEDED: deadline exceeded"};
                return;
        }
        if (faulty && sim_chance(w, f->late)) {
                /* slow: it arrives (or is worked on) after the caller gave up */
                hold_back(w, c, w->now_ms + between(w, 100, 6000), sim_chance(w, 500) ? 0 : 500);
                w->now_ms += PEER_TIMEOUT_MS;
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error = "DEADLINE_EXCEEDED: deadline exceeded"};
                return;
        }
        deliver(w, c, PEER_TIMEOUT_MS, ret);
        if (faulty && sim_chance(w, f->duplicate)) {
                hold_back(w, c, w->now_ms + between(w, 1, 5000), PEER_TIMEOUT_MS);
                w->stats.duplicates++;
        }
        if (faulty && sim_chance(w, f->drop_reply)) {
                sim_trace(w, "  reply lost");
                w->stats.replies_lost++;
                w->now_ms += between(w, 1, PEER_TIMEOUT_MS);
                *ret = (struct checkout_reply){.outcome = SAGA_OUTCOME_MAYBE_APPLIED,
                                               .error = "UNAVAILABLE: connection reset"};
        }
        if (faulty && sim_chance(w, f->coordinator_crash / 2))
                crash_coordinator(w, "before it recorded the answer");
        if (sc->crash_after[c->kind] > 0 &&
            (sc->crash_after_op < 0 || sc->crash_after_op == c->op) &&
            --sc->crash_after[c->kind] == 0)
                crash_coordinator(w, "before it recorded the answer (scripted)");
}

static void net_create_order(void *self, const struct checkout_call *call,
                             const struct checkout_saga *s, char order_id[64],
                             struct checkout_money *total, struct checkout_reply *ret)
{
        struct sim_call c = {.kind = SIM_CREATE_ORDER, .saga = s};
        snprintf(c.key, sizeof(c.key), "%s", call->idempotency_key);
        network(self, &c, ret);
        if (ret->outcome == SAGA_OUTCOME_OK) { /* the answer only when it came back */
                snprintf(order_id, 64, "%s", c.out_order_id);
                *total = c.out_total;
        }
}

static void net_set_order_status(void *self, const struct checkout_call *call, const char *order_id,
                                 enum checkout_order_status status, const char *reason,
                                 struct checkout_reply *ret)
{
        struct sim_call c = {.kind = SIM_SET_STATUS, .op = (int)status};
        snprintf(c.key, sizeof(c.key), "%s", call->idempotency_key);
        snprintf(c.order_id, sizeof(c.order_id), "%s", order_id);
        snprintf(c.reason, sizeof(c.reason), "%s", reason ? reason : "");
        network(self, &c, ret);
}

static void net_authorize(void *self, const struct checkout_call *call, const char *order_id,
                          const char *customer_id, const struct checkout_money *amount,
                          const char *token, struct checkout_reply *ret)
{
        struct sim_call c = {.kind = SIM_AUTHORIZE, .amount = *amount};
        snprintf(c.key, sizeof(c.key), "%s", call->idempotency_key);
        snprintf(c.order_id, sizeof(c.order_id), "%s", order_id);
        snprintf(c.customer_id, sizeof(c.customer_id), "%s", customer_id);
        snprintf(c.token, sizeof(c.token), "%s", token);
        network(self, &c, ret);
}

static void net_payment(void *self, const struct checkout_call *call, enum checkout_payment_op op,
                        const char *order_id, struct checkout_reply *ret)
{
        struct sim_call c = {.kind = SIM_PAYMENT, .op = (int)op};
        snprintf(c.key, sizeof(c.key), "%s", call->idempotency_key);
        snprintf(c.order_id, sizeof(c.order_id), "%s", order_id);
        network(self, &c, ret);
}

static void net_reserve(void *self, const struct checkout_call *call, const char *order_id,
                        const struct checkout_item *items, size_t n, struct checkout_reply *ret)
{
        struct sim_call c = {.kind = SIM_RESERVE, .n_items = n};
        snprintf(c.key, sizeof(c.key), "%s", call->idempotency_key);
        snprintf(c.order_id, sizeof(c.order_id), "%s", order_id);
        memcpy(c.items, items, n * sizeof(*items));
        network(self, &c, ret);
}

static void net_stock(void *self, const struct checkout_call *call, enum checkout_stock_op op,
                      const char *order_id, struct checkout_reply *ret)
{
        struct sim_call c = {.kind = SIM_STOCK, .op = (int)op};
        snprintf(c.key, sizeof(c.key), "%s", call->idempotency_key);
        snprintf(c.order_id, sizeof(c.order_id), "%s", order_id);
        network(self, &c, ret);
}

static int net_order_of(void *self, const char *order_id, const char *authorization,
                        struct checkout_order_view *ret)
{
        struct sim_world *w = self;
        return checkout_peers_memory(&w->inproc)
                .ops->order_of(&w->inproc, order_id, authorization, ret);
}

static int net_saved_address(void *self, const char *address_id, const char *authorization,
                             struct checkout_address *ret)
{
        return -ENOENT;
}

static const struct checkout_participants_ops network_ops = {
        .create_order = net_create_order,
        .set_order_status = net_set_order_status,
        .authorize = net_authorize,
        .payment = net_payment,
        .reserve = net_reserve,
        .stock = net_stock,
        .order_of = net_order_of,
        .saved_address = net_saved_address,
};

/* ---- the scheduler ---------------------------------------------------------- */

static void drive(struct sim_world *w, struct sim_job *j)
{
        int64_t wait_ms = 0;
        if (faults_on(w) && sim_chance(w, w->faults.operator)) { /* between its calls */
                struct sim_call c = {0};
                snprintf(c.key, sizeof(c.key), "%s", j->job.saga.id);
                operator_acts(w, &c);
        }
        enum saga_drive_result d = saga_drive(&w->app, &j->job, &wait_ms);
        if (d == SAGA_DRIVE_WAIT)
                j->wake_ms = w->now_ms + wait_ms;
        else if (d == SAGA_DRIVE_AGAIN)
                j->wake_ms = w->now_ms;
        else
                j->live = false;
}

static struct sim_job *job_of(struct sim_world *w, const char *id)
{
        for (size_t i = 0; i < SIM_MAX_SAGAS; i++)
                if (w->jobs[i].live && !strcmp(w->jobs[i].job.saga.id, id))
                        return &w->jobs[i];
        return NULL;
}

static struct sim_job *free_job(struct sim_world *w)
{
        for (size_t i = 0; i < SIM_MAX_SAGAS; i++)
                if (!w->jobs[i].live)
                        return &w->jobs[i];
        return NULL;
}

/* The resume scan: claims the unfinished sagas nobody here drives. */
static void scan(struct sim_world *w)
{
        char ids[SIM_MAX_SAGAS][37];
        int64_t seqs[SIM_MAX_SAGAS];
        size_t n = 0;
        w->next_scan_ms = w->now_ms + SCAN_MS;
        if (w->app.store.ops->list_unfinished(w->app.store.self, w->app.cfg.owner, 0, ids, seqs,
                                              SIM_MAX_SAGAS, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                struct sim_job *j = job_of(w, ids[i]) ? NULL : free_job(w);
                if (!j || saga_drive_claim(&w->app, ids[i], &j->job) < 0)
                        continue;
                j->live = true;
                j->wake_ms = w->now_ms;
                sim_trace(w, "coordinator %s resumes saga %s", w->owner, ids[i]);
        }
}

static void restart(struct sim_world *w)
{
        for (size_t i = 0; i < SIM_MAX_SAGAS; i++)
                w->jobs[i].live = false; /* what was in memory is gone */
        w->coordinator_down = false;
        w->now_ms += RESTART_MS;
        if (sim_chance(w, 300)) /* a new replica name: old leases must run out first */
                snprintf(w->owner, sizeof(w->owner), "coordinator-%d", ++w->restarts);
        snprintf(w->app.cfg.owner, sizeof(w->app.cfg.owner), "%s", w->owner);
        sim_trace(w, "coordinator restarts as %s", w->owner);
        scan(w);
}

static bool unfinished_left(struct sim_world *w)
{
        struct checkout_saga *s = malloc(sizeof(*s));
        bool any = false;
        for (size_t i = 0; i < w->n_sagas && s && !any; i++)
                any = w->sagas_real.ops->find(w->sagas_real.self, w->saga_ids[i], s) == 0 &&
                      !saga_is_final(s->state.status);
        free(s);
        return any;
}

static void run_late(struct sim_world *w, struct sim_late *l)
{
        struct checkout_reply ignored;
        l->live = false;
        struct sim_call c = l->call;
        struct checkout_saga *copy = NULL;
        if (c.saga && (copy = malloc(sizeof(*copy)))) {
                *copy = l->saga; /* the slot may be reused while it runs */
                c.saga = copy;
        }
        sim_trace(w, "late delivery of %s key=%s", kind_names[c.kind], c.key);
        w->delivering_late = true;
        if (c.kind != SIM_CREATE_ORDER || copy)
                deliver(w, &c, l->deadline_left_ms, &ignored);
        w->delivering_late = false;
        free(copy);
}

/* One thing that is due: the earliest job or late delivery, or a scan. */
static bool step(struct sim_world *w, int64_t until_ms)
{
        if (w->coordinator_down && !w->nested) {
                restart(w);
                return true;
        }
        struct sim_job *job = NULL;
        struct sim_late *late = NULL;
        int64_t at = INT64_MAX;
        for (size_t i = 0; i < SIM_MAX_SAGAS; i++)
                if (w->jobs[i].live && w->jobs[i].wake_ms < at)
                        at = w->jobs[i].wake_ms, job = &w->jobs[i];
        for (size_t i = 0; i < SIM_MAX_LATE && !w->nested; i++)
                if (w->late[i].live && w->late[i].at_ms < at)
                        at = w->late[i].at_ms, late = &w->late[i], job = NULL;
        bool scanning = !w->nested && w->next_scan_ms < at && unfinished_left(w);
        if (scanning)
                at = w->next_scan_ms, job = NULL, late = NULL;
        if (at == INT64_MAX || at > until_ms)
                return false;
        if (at > w->now_ms)
                w->now_ms = at;
        if (scanning)
                scan(w);
        else if (late)
                run_late(w, late);
        else
                drive(w, job);
        return true;
}

/* A provider call of a late authorization is slow: the rest of the world
 * runs meanwhile (the coordinator may void while the hold is being made). */
static void provider_in_flight(void *ctx, const char *key)
{
        struct sim_world *w = ctx;
        if (!w->delivering_late || w->nested)
                return;
        /* the outer delivery's own state, which the nested ones reuse */
        int writes_left = w->payment_writes_left;
        bool crashed = w->payment_crashed;
        int64_t deadline = w->inproc.deadline_left_ms;
        w->nested++;
        w->stats.nested++;
        int64_t until = w->now_ms + NESTED_WINDOW_MS;
        sim_trace(w, "  provider is slow for %s; the world goes on", key);
        while (step(w, until) && !w->coordinator_down)
                ;
        w->nested--;
        w->payment_writes_left = writes_left;
        w->payment_crashed = crashed;
        w->inproc.deadline_left_ms = deadline;
}

bool sim_run(struct sim_world *w, int64_t limit_ms)
{
        w->next_scan_ms = w->now_ms + SCAN_MS;
        while (w->now_ms < limit_ms)
                if (!step(w, limit_ms))
                        return !unfinished_left(w);
        return false;
}

/* ---- setting it up ----------------------------------------------------------- */

int sim_world_init(struct sim_world *w, unsigned long seed, const struct sim_faults *faults)
{
        memset(w, 0, sizeof(*w));
        w->seed = seed;
        w->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0xbf58476d1ce4e5b9ull);
        if (!w->rng)
                w->rng = 1;
        w->faults = *faults;
        w->payment_writes_left = -1;
        order_memory_store_init(&w->orders);
        w->order = (struct order_app){.store = order_store_memory(&w->orders),
                                      .peers = order_peers_memory(&w->catalog),
                                      .env = {.ops = &env_ops, .self = w}};
        payment_memory_store_init(&w->payments);
        payment_memory_provider_init(&w->provider);
        w->provider.in_flight = provider_in_flight;
        w->provider.in_flight_ctx = w;
        if (sim_chance(w, faults->provider_outage))
                w->provider.failures_left = (int)between(w, 1, 4);
        w->payment_real = payment_store_memory(&w->payments);
        w->payment = (struct payment_app){.store = {.ops = &crashing_payments, .self = w},
                                          .provider = payment_provider_memory(&w->provider),
                                          .env = {.ops = &env_ops, .self = w}};
        inventory_memory_init(&w->stock);
        w->inventory = (struct inventory_app){.store = inventory_store_memory(&w->stock)};
        w->inproc = (struct checkout_peers_memory){
                .order = &w->order, .payment = &w->payment, .inventory = &w->inventory};
        struct core_env env = {.ops = &env_ops, .self = w};
        checkout_memory_store_init(&w->sagas, env);
        w->sagas_real = checkout_store_memory(&w->sagas);
        struct sim_db *db = (struct sim_db *)sim_databases;
        if (db && sim_db_reset(db) < 0) /* every world starts empty */
                return -1;
        if (db) { /* the services' MariaDB stores instead (sim-db.h) */
                w->order.store = order_store_mysql(db->orders);
                w->payment_real = payment_store_mysql(db->payments);
                w->inventory.store = inventory_store_mysql(db->stock);
                w->sagas_real = checkout_store_mysql(db->sagas);
        }
        snprintf(w->owner, sizeof(w->owner), "coordinator-0");
        w->app = (struct checkout_app){
                .store = {.ops = &crashing_sagas, .self = w},
                .peers = {.ops = &network_ops, .self = w},
                .env = env,
                .cfg = {.policy = {.base_delay_ms = 50, .max_delay_ms = 2000},
                        .step_deadline_ms = 15000,
                        .stuck_after_ms = 60000,
                        /* MariaDB's leases run on its own clock, not the simulated one:
                           there a lease of 1 ms has run out by a new replica's first scan,
                           as LEASE_MS of simulated time has here (one coordinator runs
                           at a time; a dead one never writes again) */
                        .lease_ms = db ? 1 : LEASE_MS,
                        .resume_interval_ms = SCAN_MS,
                        .runners = 1},
        };
        snprintf(w->app.cfg.owner, sizeof(w->app.cfg.owner), "%s", w->owner);
        return 0;
}

void sim_world_free(struct sim_world *w)
{
        checkout_memory_store_free(&w->sagas);
        inventory_memory_free(&w->stock);
        payment_memory_provider_free(&w->provider);
        payment_memory_store_free(&w->payments);
        order_memory_store_free(&w->orders);
        free(w->trace);
        w->trace = NULL;
}

void sim_add_book(struct sim_world *w, const char *book_id, int64_t on_hand, int64_t price_units)
{
        struct order_money price = {.currency = "EUR", .units = price_units};
        order_memory_catalog_add(&w->catalog, book_id, "seller-1", &price);
        struct inventory_level l;
        w->inventory.store.ops->set_on_hand(w->inventory.store.self, book_id, on_hand, &l);
        if (w->n_books < SIM_MAX_BOOKS) {
                snprintf(w->books[w->n_books], sizeof(w->books[0]), "%s", book_id);
                w->initial_on_hand[w->n_books++] = on_hand;
        }
}

int sim_place(struct sim_world *w, const char *customer, const struct checkout_item *items,
              size_t n, const char *token)
{
        struct sim_job *j = free_job(w);
        if (!j || w->n_sagas == SIM_MAX_SAGAS)
                return -ENOSPC;
        struct checkout_saga *s = &j->job.saga;
        memset(&j->job, 0, sizeof(j->job));
        s->kind = CHECKOUT_KIND_CHECKOUT;
        snprintf(s->customer_id, sizeof(s->customer_id), "%s", customer);
        snprintf(s->idempotency_key, sizeof(s->idempotency_key), "key-%zu", w->n_sagas);
        memcpy(s->items, items, n * sizeof(*items));
        s->n_items = n;
        s->address = (struct checkout_address){.recipient = "Sim",
                                               .line1 = "1 Main St",
                                               .city = "Berlin",
                                               .postal_code = "10115",
                                               .country_code = "DE"};
        snprintf(s->payment_token, sizeof(s->payment_token), "%s", token);
        int r = checkout_saga_insert(&w->app, s);
        if (r < 0)
                return r;
        memcpy(w->saga_ids[w->n_sagas++], s->id, sizeof(w->saga_ids[0]));
        j->live = true;
        j->wake_ms = w->now_ms + between(w, 0, 500);
        sim_trace(w, "saga %s placed by %s (%s)", s->id, customer, token);
        return 0;
}
