/* The checkout simulation's world: the coordinator and the order, payment
 * and inventory use cases in one process and one thread, on memory
 * adapters, with a simulated clock and a simulated network between the
 * coordinator and its participants. Everything random comes from one seed,
 * so a run replays exactly.
 *
 * The network (a decorator of the participants port) can refuse a call
 * before it leaves, drop the request, drop the reply after the participant
 * applied it, deliver it late (after the caller gave up, also while the
 * caller compensates), and deliver it twice. The payment participant can
 * crash inside an operation (its later writes are lost, what the provider
 * did stays). The coordinator can crash before or after any call, losing
 * what it had not written; it restarts under its own name or a new one. An
 * operator can act on a saga while one of its calls is out (RetryNow,
 * Resume, ForceCompensate), with the driver woken at once or not at all. */
#pragma once

#include "checkout-peers-memory.h"
#include "checkout-store-memory.h"
#include "inventory-store-memory.h"
#include "order-memory.h"
#include "payment-memory.h"
#include "saga-drive.h"

#include <stdbool.h>
#include <stdint.h>

enum { SIM_MAX_SAGAS = 6, SIM_MAX_LATE = 24, SIM_MAX_BOOKS = 3, SIM_MAX_KEYS = 256 };

struct sim_world;

enum sim_call_kind {
        SIM_CREATE_ORDER,
        SIM_SET_STATUS,
        SIM_AUTHORIZE,
        SIM_PAYMENT,
        SIM_RESERVE,
        SIM_STOCK,
};

/* One participant call with everything it carries, so the network can hold
 * it back and deliver it later. */
struct sim_call {
        enum sim_call_kind kind;
        char key[192];
        char order_id[64], customer_id[64], token[65], reason[256];
        struct checkout_money amount;
        struct checkout_item items[CHECKOUT_MAX_ITEMS];
        size_t n_items;
        int op;                           /* payment or stock op, or the order status */
        const struct checkout_saga *saga; /* create_order only; copied when held back */
        char out_order_id[64];            /* create_order's answer, when it comes back */
        struct checkout_money out_total;
};

struct sim_faults {
        /* per participant call, in 1/1000 */
        int refuse, drop_request, drop_reply, late, duplicate, payment_crash,
                coordinator_crash, operator;
        int commit_answer_lost; /* per saga write: it commits, its answer never comes */
        int provider_outage;    /* 1/1000 per seed: the provider fails a few calls */
        int64_t until_ms;       /* no faults after this (the network heals) */
};

/* A participant call the network holds back: applied at `at_ms`. */
struct sim_late {
        int64_t at_ms;
        bool live;
        int64_t deadline_left_ms; /* as the participant will see it */
        struct sim_call call;
        struct checkout_saga saga; /* create_order's data */
};

/* Faults a scripted scenario asks for, on top of (or instead of) chance. */
struct sim_script {
        int late[6];              /* hold back the next n calls of a kind */
        int64_t late_by_ms;       /* by this long */
        int crash_after[6];       /* crash the coordinator after the next n calls of a kind ... */
        int crash_after_op;       /* ... with this op (-1: any) */
        int64_t down_until_ms[6]; /* calls of a kind refused (no connection) until then */
        void (*while_down)(struct sim_world *w); /* runs once, at the next coordinator crash */
};

/* What a run did, summed over seeds for the report. */
struct sim_stats {
        long calls, refused, requests_lost, replies_lost, late, duplicates, payment_crashes,
                coordinator_crashes, nested, completed, compensated, operator_actions,
                operator_refusals, commit_answers_lost;
};

struct sim_job {
        struct saga_job job;
        int64_t wake_ms;
        bool live;
};

struct sim_world {
        uint64_t rng;
        unsigned long seed;
        int64_t now_ms;
        struct sim_faults faults;
        struct sim_script script;
        struct sim_stats stats;
        /* participants */
        struct order_memory_store orders;
        struct order_memory_catalog catalog;
        struct order_app order;
        struct payment_memory_store payments;
        struct payment_memory_provider provider;
        struct payment_app payment;
        struct inventory_memory stock;
        struct inventory_app inventory;
        struct checkout_peers_memory inproc;
        struct checkout_participants net;  /* inproc behind the simulated network */
        struct payment_store payment_real; /* the memory store behind the crash wrapper */
        bool delivering_late;
        int payment_writes_left; /* -1: no crash armed; else writes until the crash */
        bool payment_crashed;
        /* coordinator */
        struct checkout_memory_store sagas;
        struct checkout_app app;
        struct checkout_store sagas_real; /* behind the crash wrapper */
        char owner[32];
        bool coordinator_down;
        int restarts;
        struct sim_job jobs[SIM_MAX_SAGAS];
        char saga_ids[SIM_MAX_SAGAS][37];
        size_t n_sagas;
        struct sim_late late[SIM_MAX_LATE];
        int nested; /* the scheduler runs inside a provider call */
        int64_t next_scan_ms;
        /* what the checks need */
        int64_t initial_on_hand[SIM_MAX_BOOKS];
        char books[SIM_MAX_BOOKS][16];
        size_t n_books;
        struct {
                char key[192];
                int kind;
        } keys[SIM_MAX_KEYS];
        size_t n_keys;
        char key_error[256];
        uint64_t ids;
        struct inventory_reservation scratch_reservation; /* for the checks (a large struct) */
        /* the event trace, printed when a run fails */
        char *trace;
        size_t trace_len, trace_cap;
};

int sim_world_init(struct sim_world *w, unsigned long seed, const struct sim_faults *faults);
void sim_world_free(struct sim_world *w);
uint64_t sim_rand(struct sim_world *w);
/* 1 in 1000 * per_mille. */
bool sim_chance(struct sim_world *w, int per_mille);
void sim_trace(struct sim_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A book with stock, priced for the order service's catalog. */
void sim_add_book(struct sim_world *w, const char *book_id, int64_t on_hand, int64_t price_units);
/* A customer's checkout, stored and queued now (like PlaceOrder). */
int sim_place(struct sim_world *w, const char *customer, const struct checkout_item *items,
              size_t n, const char *token);
/* Runs until nothing is left to do or the simulated time runs out; false
 * when it ran out (something never settled). */
bool sim_run(struct sim_world *w, int64_t limit_ms);
