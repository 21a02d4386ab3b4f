/* The saga store's contract, against the memory store (unit suite) and
 * MariaDB (contract suite; argv[1] = "mysql"): the resume scan pages through
 * every unfinished saga (not the first 256), leases run on the store's
 * clock (a caller gives a duration, never an instant), a client's key and a
 * cancellation's key are separate namespaces, an operator's write is a
 * compare-and-set that releases the lease, the journal keeps every attempt,
 * and ListSagas' filters and the census agree with what was stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-divergences-memory.h"
#include "checkout-mysql.h"
#include "checkout-store-memory.h"

#include "../../../tests/contract/contract-db.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MANY = 300, PAGE = 256 };

static bool use_mysql;
static struct checkout_memory_store mem;
static struct db_pool *pool;
static char schema[64];
static struct checkout_store store;
static struct checkout_memory_divergences mem_divergences;
static struct checkout_divergence_store divergences;
static int64_t mem_now = 1000000;
static int ids;

static int64_t mem_clock(void *self)
{
        return mem_now;
}

static const struct core_env_ops clock_ops = {.now_ms = mem_clock};

/* Lets `ms` pass on the store's clock. */
static void let_pass(int64_t ms)
{
        if (!use_mysql) {
                mem_now += ms;
                return;
        }
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static int setup(void **state)
{
        if (use_mysql) {
                if (contract_schema_open("bookstore_cos", checkout_migrations,
                                         checkout_migrations_count, schema, &pool) < 0)
                        return -1;
                store = checkout_store_mysql(pool);
                divergences = checkout_divergences_mysql(pool);
                return 0;
        }
        checkout_memory_store_init(&mem, (struct core_env){.ops = &clock_ops});
        store = checkout_store_memory(&mem);
        checkout_memory_divergences_init(&mem_divergences);
        divergences = checkout_divergences_memory(&mem_divergences);
        return 0;
}

static int teardown(void **state)
{
        if (use_mysql)
                contract_schema_drop(pool, schema);
        else
                checkout_memory_store_free(&mem);
        if (!use_mysql)
                checkout_memory_divergences_free(&mem_divergences);
        return 0;
}

static void new_saga(struct checkout_saga *s, enum checkout_kind kind, const char *customer,
                     const char *key)
{
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "00000000-0000-4000-8000-%012d", ++ids);
        s->kind = kind;
        saga_start(checkout_def_of(kind), &s->state);
        snprintf(s->customer_id, sizeof(s->customer_id), "%s", customer);
        snprintf(s->idempotency_key, sizeof(s->idempotency_key), "%s", key);
        s->created_ms = s->updated_ms = 1;
}

static void the_resume_scan_pages_through_every_unfinished_saga(void **state)
{
        struct checkout_saga *s = malloc(sizeof(*s));
        char key[32];
        for (int i = 0; i < MANY; i++) {
                snprintf(key, sizeof(key), "page-%d", i);
                new_saga(s, CHECKOUT_KIND_CHECKOUT, "cust-page", key);
                assert_int_equal(store.ops->insert(store.self, s, "me", 60000), 0);
        }
        free(s);
        char(*page)[37] = calloc(PAGE, sizeof(*page));
        int64_t *seqs = calloc(PAGE, sizeof(*seqs));
        int64_t after = 0;
        size_t n = PAGE, seen = 0, pages = 0;
        while (n == PAGE) {
                assert_int_equal(
                        store.ops->list_unfinished(store.self, "me", after, page, seqs, PAGE, &n),
                        0);
                for (size_t i = 0; i < n; i++) {
                        assert_true(seqs[i] > after); /* in store order, no repeats */
                        after = seqs[i];
                }
                seen += n;
                pages++;
        }
        assert_true(seen >= MANY); /* every one of them, over more than one page */
        assert_true(pages >= 2);
        /* another owner sees none of them: their leases run for a minute */
        assert_int_equal(store.ops->list_unfinished(store.self, "other", 0, page, seqs, PAGE, &n),
                         0);
        assert_int_equal(n, 0);
        free(page);
        free(seqs);
}

static void leases_run_out_on_the_stores_clock(void **state)
{
        struct checkout_saga s, got;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-lease", "lease-1");
        assert_int_equal(store.ops->insert(store.self, &s, "a", 60000), 0);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), -ESTALE);
        /* a renews with a short lease; once it has run out, b takes over at once */
        assert_int_equal(store.ops->save(store.self, &s, "a", 50, NULL, 0), 0);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), -ESTALE);
        let_pass(1200);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), 0);
        assert_string_equal(got.id, s.id);
        assert_int_equal(store.ops->save(store.self, &s, "a", 60000, NULL, 0),
                         -ESTALE); /* a lost it */
        assert_int_equal(store.ops->save(store.self, &s, "b", 60000, NULL, 0), 0);
}

static void a_checkout_key_and_a_cancellation_key_do_not_collide(void **state)
{
        struct checkout_saga s, got;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-key", "cancel:order-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), 0);
        new_saga(&s, CHECKOUT_KIND_CANCELLATION, "cust-key", "cancel:order-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), 0);
        assert_int_equal(store.ops->find_by_key(store.self, "cust-key", CHECKOUT_KIND_CANCELLATION,
                                                "cancel:order-1", &got),
                         0);
        assert_int_equal(got.kind, CHECKOUT_KIND_CANCELLATION);
        new_saga(&s, CHECKOUT_KIND_CANCELLATION, "cust-key", "cancel:order-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), -EEXIST);
}

static struct checkout_attempt attempt(const char *step, enum saga_outcome o, const char *code)
{
        struct checkout_attempt a = {.outcome = o, .started_ms = 5, .duration_ms = 7};
        snprintf(a.step, sizeof(a.step), "%s", step);
        snprintf(a.code, sizeof(a.code), "%s", code);
        snprintf(a.message, sizeof(a.message), "%s", o == SAGA_OUTCOME_OK ? "" : "no luck");
        return a;
}

static void an_operator_write_is_a_compare_and_set_that_releases_the_lease(void **state)
{
        struct checkout_saga s, read, got;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-op", "op-1");
        assert_int_equal(store.ops->insert(store.self, &s, "a", 60000), 0);
        assert_int_equal(store.ops->find(store.self, s.id, &read), 0);
        /* the owner writes after the operator read: the operator's write is refused */
        assert_int_equal(store.ops->save(store.self, &s, "a", 60000, NULL, 0), 0);
        struct checkout_action act = {.op = SAGA_OP_FORCE_COMPENSATE,
                                      .actor = "admin-1",
                                      .reason = "payment provider incident",
                                      .step = "place_order",
                                      .from = SAGA_RUNNING,
                                      .to = SAGA_COMPENSATING,
                                      .at_ms = 42};
        read.state.status = SAGA_COMPENSATING;
        assert_int_equal(store.ops->operate(store.self, &read, &act), -ESTALE);
        /* read again: now it goes through, once */
        assert_int_equal(store.ops->find(store.self, s.id, &read), 0);
        read.state.status = SAGA_COMPENSATING;
        assert_int_equal(store.ops->operate(store.self, &read, &act), 0);
        assert_int_equal(store.ops->operate(store.self, &read, &act), -ESTALE);
        /* the lease is released: the owner's next write is refused, and any
         * coordinator may claim it, with the operator's state */
        assert_int_equal(store.ops->save(store.self, &s, "a", 60000, NULL, 0), -ESTALE);
        assert_int_equal(store.ops->claim(store.self, s.id, "b", 60000, &got), 0);
        assert_int_equal(got.state.status, SAGA_COMPENSATING);
        assert_true(got.version > read.version);
        struct checkout_action acts[4];
        size_t n = 0;
        assert_int_equal(store.ops->actions(store.self, s.id, acts, 4, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(acts[0].op, SAGA_OP_FORCE_COMPENSATE);
        assert_string_equal(acts[0].actor, "admin-1");
        assert_string_equal(acts[0].reason, "payment provider incident");
        assert_string_equal(acts[0].step, "place_order");
        assert_int_equal(acts[0].from, SAGA_RUNNING);
        assert_int_equal(acts[0].to, SAGA_COMPENSATING);
        assert_int_equal(acts[0].at_ms, 42);
}

static void the_journal_keeps_every_attempt_also_from_a_lost_lease(void **state)
{
        struct checkout_saga s;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-journal", "journal-1");
        assert_int_equal(store.ops->insert(store.self, &s, "a", 60000), 0);
        struct checkout_attempt two[] = {
                attempt("make_payment", SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE"),
                attempt("make_payment", SAGA_OUTCOME_OK, "OK")};
        assert_int_equal(store.ops->save(store.self, &s, "a", 60000, two, 2), 0);
        struct checkout_attempt late =
                attempt("void_payment", SAGA_OUTCOME_BUSINESS, "FAILED_PRECONDITION");
        late.compensation = true;
        assert_int_equal(store.ops->save(store.self, &s, "not-the-owner", 60000, &late, 1),
                         -ESTALE);
        struct checkout_attempt got[3];
        size_t n = 0;
        int64_t total = 0;
        assert_int_equal(store.ops->journal(store.self, s.id, got, 2, &n, &total), 0);
        assert_int_equal(total, 3);
        assert_int_equal(n, 2); /* the newest two, oldest first */
        assert_string_equal(got[0].step, "make_payment");
        assert_int_equal(got[0].outcome, SAGA_OUTCOME_OK);
        assert_string_equal(got[0].code, "OK");
        assert_string_equal(got[1].step, "void_payment");
        assert_true(got[1].compensation);
        assert_int_equal(got[1].outcome, SAGA_OUTCOME_BUSINESS);
        assert_string_equal(got[1].code, "FAILED_PRECONDITION");
        assert_string_equal(got[1].message, "no luck");
        assert_int_equal(got[1].started_ms, 5);
        assert_int_equal(got[1].duration_ms, 7);
}

/* The ids of the listed sagas among mine (filter by customer "cust-f*"). */
static size_t list_ids(struct checkout_query q, char out[][37])
{
        struct checkout_saga *got = calloc(16, sizeof(*got));
        size_t n = 0, k = 0;
        q.limit = 16;
        assert_int_equal(store.ops->list(store.self, &q, got, &n), 0);
        for (size_t i = 0; i < n; i++)
                if (!strncmp(got[i].customer_id, "cust-f", 6))
                        memcpy(out[k++], got[i].id, 37);
        free(got);
        return k;
}

static void sagas_are_listed_by_stuck_step_customer_order_and_age(void **state)
{
        struct checkout_saga s[3];
        for (int i = 0; i < 3; i++) {
                char customer[16], key[16];
                snprintf(customer, sizeof(customer), "cust-f%d", i % 2);
                snprintf(key, sizeof(key), "f-%d", i);
                new_saga(&s[i], CHECKOUT_KIND_CHECKOUT, customer, key);
                s[i].created_ms = 1000 * (i + 1);
                assert_int_equal(store.ops->insert(store.self, &s[i], "me", 60000), 0);
        }
        /* s[1]: on make_payment, stuck, with an order; s[2] compensating void_payment */
        snprintf(s[1].order_id, sizeof(s[1].order_id), "order-f1");
        s[1].state.steps[0] = SAGA_STEP_SUCCEEDED;
        s[1].state.current = 1;
        s[1].state.stuck = true;
        assert_int_equal(store.ops->save(store.self, &s[1], "me", 60000, NULL, 0), 0);
        s[2].state.steps[0] = s[2].state.steps[1] = SAGA_STEP_SUCCEEDED;
        s[2].state.steps[2] = SAGA_STEP_FAILED;
        s[2].state.maybe_applied[1] = true;
        s[2].state.current = 2;
        s[2].state.status = SAGA_COMPENSATING;
        assert_int_equal(store.ops->save(store.self, &s[2], "me", 60000, NULL, 0), 0);
        char ids[16][37];
        assert_int_equal(list_ids((struct checkout_query){.stuck_only = true}, ids), 1);
        assert_string_equal(ids[0], s[1].id);
        assert_int_equal(list_ids((struct checkout_query){.step = "make_payment"}, ids), 1);
        assert_string_equal(ids[0], s[1].id);
        assert_int_equal(list_ids((struct checkout_query){.step = "void_payment"}, ids), 1);
        assert_string_equal(ids[0], s[2].id);
        assert_int_equal(list_ids((struct checkout_query){.order_id = "order-f1"}, ids), 1);
        assert_int_equal(list_ids((struct checkout_query){.customer_id = "cust-f0"}, ids), 2);
        assert_string_equal(ids[0], s[2].id); /* newest first */
        assert_string_equal(ids[1], s[0].id);
        assert_int_equal(list_ids((struct checkout_query){.created_before_ms = 2500}, ids), 2);
        assert_int_equal(list_ids((struct checkout_query){.status = SAGA_COMPENSATING,
                                                          .customer_id = "cust-f0"},
                                  ids),
                         1);
}

static void the_census_counts_open_sagas_by_kind_status_and_age(void **state)
{
        int64_t now = 10LL * 24 * 60 * 60 * 1000;
        struct checkout_census before, after;
        assert_int_equal(store.ops->census(store.self, now, &before), 0);
        struct checkout_saga s;
        const int64_t ages[] = {1000, 2 * 60 * 1000, 2 * 24 * 60 * 60 * 1000};
        for (int i = 0; i < 3; i++) {
                char key[16];
                snprintf(key, sizeof(key), "census-%d", i);
                new_saga(&s, i == 2 ? CHECKOUT_KIND_CANCELLATION : CHECKOUT_KIND_CHECKOUT,
                         "cust-census", key);
                s.created_ms = now - ages[i];
                assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), 0);
        }
        s.state.stuck = true; /* the cancellation, two days old */
        assert_int_equal(store.ops->save(store.self, &s, "me", 60000, NULL, 0), 0);
        assert_int_equal(store.ops->census(store.self, now, &after), 0);
        assert_int_equal(after.sagas[0][0][0] - before.sagas[0][0][0], 1); /* < 1 min */
        assert_int_equal(after.sagas[0][0][1] - before.sagas[0][0][1], 1); /* 1-5 min */
        assert_int_equal(after.sagas[1][0][4] - before.sagas[1][0][4], 1); /* > 1 day */
        assert_int_equal(after.stuck[1] - before.stuck[1], 1);
        assert_true(after.oldest_unfinished_ms > 0 && after.oldest_unfinished_ms <= now - ages[2]);
}

static void a_divergence_is_new_once_until_it_is_closed(void **state)
{
        const struct checkout_divergence_ops *d = divergences.ops;
        void *self = divergences.self;
        bool fresh = false;
        assert_int_equal(
                d->seen(self, "ord-d1", DIVERGENCE_CONFIRMED_NOT_PAID, "first", 100, &fresh), 0);
        assert_true(fresh);
        assert_int_equal(
                d->seen(self, "ord-d1", DIVERGENCE_CONFIRMED_NOT_PAID, "again", 200, &fresh), 0);
        assert_false(fresh);
        assert_int_equal(
                d->seen(self, "ord-d1", DIVERGENCE_PAID_NOT_CONFIRMED, "other kind", 200, &fresh),
                0);
        assert_true(fresh);
        int64_t open[DIVERGENCE_KINDS + 1];
        assert_int_equal(d->count_open(self, open), 0);
        assert_int_equal(open[DIVERGENCE_CONFIRMED_NOT_PAID], 1);
        assert_int_equal(open[DIVERGENCE_PAID_NOT_CONFIRMED], 1);
        assert_int_equal(d->close(self, "ord-d1", DIVERGENCE_CONFIRMED_NOT_PAID,
                                  DIVERGENCE_RESOLVED, "", 300),
                         0);
        assert_int_equal(d->close(self, "ord-d1", DIVERGENCE_CONFIRMED_NOT_PAID,
                                  DIVERGENCE_RESOLVED, "", 300),
                         -ENOENT); /* not open any more */
        struct checkout_divergence got[4];
        size_t n = 0;
        struct checkout_divergence_query q = {
                .order_id = "ord-d1", .kind = DIVERGENCE_CONFIRMED_NOT_PAID, .limit = 4};
        assert_int_equal(d->list(self, &q, got, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(got[0].status, DIVERGENCE_RESOLVED);
        assert_string_equal(got[0].detail, "again");
        assert_int_equal(got[0].first_seen_ms, 100);
        assert_int_equal(got[0].last_seen_ms, 200);
        assert_int_equal(got[0].closed_ms, 300);
        /* back again: new, and open */
        assert_int_equal(
                d->seen(self, "ord-d1", DIVERGENCE_CONFIRMED_NOT_PAID, "back", 400, &fresh), 0);
        assert_true(fresh);
        assert_int_equal(d->list(self, &q, got, &n), 0);
        assert_int_equal(got[0].status, DIVERGENCE_OPEN);
        assert_int_equal(got[0].first_seen_ms, 400);
        assert_int_equal(got[0].closed_ms, 0);
        /* repaired, with the repair's name; the open ones page by seq */
        assert_int_equal(d->close(self, "ord-d1", DIVERGENCE_PAID_NOT_CONFIRMED,
                                  DIVERGENCE_REPAIRED, "void_payment", 500),
                         0);
        q = (struct checkout_divergence_query){.status = DIVERGENCE_REPAIRED, .limit = 4};
        assert_int_equal(d->list(self, &q, got, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(got[0].repair, "void_payment");
        assert_int_equal(d->open(self, 0, got, 4, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(got[0].order_id, "ord-d1");
        assert_int_equal(got[0].kind, DIVERGENCE_CONFIRMED_NOT_PAID);
        assert_int_equal(d->open(self, got[0].seq, got, 4, &n), 0);
        assert_int_equal(n, 0);
}

/* Retention: finished sagas older than the period go (with their journal
 * and audit trail), FAILED, unfinished and newer ones stay; every journal
 * keeps its first and last attempts and still counts all of them; closed
 * divergences older than the period go, open ones stay. */
static void retention_lets_go_of_old_finished_sagas_and_long_journals(void **state)
{
        struct checkout_saga s[4];
        const enum saga_status end[] = {SAGA_COMPLETED, SAGA_COMPENSATED, SAGA_FAILED,
                                        SAGA_COMPLETED};
        for (int i = 0; i < 4; i++) {
                char key[16];
                snprintf(key, sizeof(key), "ret-%d", i);
                new_saga(&s[i], CHECKOUT_KIND_CHECKOUT, "cust-ret", key);
                assert_int_equal(store.ops->insert(store.self, &s[i], "me", 60000), 0);
                struct checkout_action act = {.op = SAGA_OP_RETRY_NOW,
                                              .actor = "admin-1",
                                              .from = SAGA_RUNNING,
                                              .to = SAGA_RUNNING};
                assert_int_equal(store.ops->find(store.self, s[i].id, &s[i]), 0);
                assert_int_equal(store.ops->operate(store.self, &s[i], &act), 0);
                assert_int_equal(store.ops->claim(store.self, s[i].id, "me", 60000, &s[i]), 0);
                s[i].state.status = end[i];
                s[i].updated_ms = i == 3 ? 5000 : 1000; /* the last one is newer */
                struct checkout_attempt a = attempt("confirm", SAGA_OUTCOME_OK, "OK");
                assert_int_equal(store.ops->save(store.self, &s[i], "me", 60000, &a, 1), 0);
        }
        struct checkout_saga *busy = &s[0], running;
        new_saga(&running, CHECKOUT_KIND_CHECKOUT, "cust-ret", "ret-running");
        assert_int_equal(store.ops->insert(store.self, &running, "me", 60000), 0);
        for (int k = 0; k < 3; k++) { /* 12 attempts */
                struct checkout_attempt a[4];
                for (int i = 0; i < 4; i++) {
                        a[i] = attempt("make_payment", SAGA_OUTCOME_MAYBE_APPLIED, "UNAVAILABLE");
                        a[i].started_ms = k * 4 + i;
                }
                assert_int_equal(store.ops->save(store.self, &running, "me", 60000, a, 4), 0);
        }
        const struct checkout_retention r = {
                .finished_before_ms = 2000, .journal_head = 2, .journal_tail = 3, .max_sagas = 100};
        struct checkout_pruned got;
        assert_int_equal(store.ops->prune(store.self, &r, &got), 0);
        assert_true(got.sagas >= 2); /* and earlier tests' finished ones */
        assert_int_equal(got.attempts, 7);
        struct checkout_saga left;
        assert_int_equal(store.ops->find(store.self, busy->id, &left), -ENOENT);
        assert_int_equal(store.ops->find(store.self, s[1].id, &left), -ENOENT);
        assert_int_equal(store.ops->find(store.self, s[2].id, &left), 0); /* FAILED: a person's */
        assert_int_equal(store.ops->find(store.self, s[3].id, &left), 0); /* newer */
        struct checkout_action acts[2];
        size_t n = 0;
        assert_int_equal(store.ops->actions(store.self, busy->id, acts, 2, &n), 0);
        assert_int_equal(n, 0);
        struct checkout_attempt j[16];
        int64_t total = 0;
        assert_int_equal(store.ops->journal(store.self, running.id, j, 16, &n, &total), 0);
        assert_int_equal(total, 12); /* every attempt ever made */
        assert_int_equal(n, 5);      /* the first 2 and the last 3 */
        const int64_t kept[] = {0, 1, 9, 10, 11};
        for (size_t i = 0; i < 5; i++)
                assert_int_equal(j[i].started_ms, kept[i]);
        assert_int_equal(store.ops->prune(store.self, &r, &got), 0); /* nothing more */
        assert_int_equal(got.sagas + got.attempts, 0);
        /* divergences: an old closed one goes, an open one stays */
        const struct checkout_divergence_ops *d = divergences.ops;
        bool fresh;
        assert_int_equal(d->seen(divergences.self, "ord-r1", DIVERGENCE_CONFIRMED_NOT_PAID, "x",
                                 100, &fresh),
                         0);
        assert_int_equal(d->seen(divergences.self, "ord-r2", DIVERGENCE_CONFIRMED_NOT_PAID, "x",
                                 100, &fresh),
                         0);
        assert_int_equal(d->close(divergences.self, "ord-r1", DIVERGENCE_CONFIRMED_NOT_PAID,
                                  DIVERGENCE_RESOLVED, "", 150),
                         0);
        int64_t gone = 0;
        assert_int_equal(d->prune(divergences.self, 200, &gone), 0);
        assert_int_equal(gone, 1);
        struct checkout_divergence_query q = {.order_id = "ord-r2", .limit = 4};
        struct checkout_divergence rows[4];
        assert_int_equal(d->list(divergences.self, &q, rows, &n), 0);
        assert_int_equal(n, 1);
}

/* On MariaDB: the final write commits, its answer is lost (-EINPROGRESS),
 * and the driver settles it from the stored saga: the end event is in the
 * outbox once and every attempt is in the journal once. */
static void a_final_write_whose_commit_answer_was_lost_ends_once(void **state)
{
        if (!use_mysql)
                skip();
        struct checkout_saga s;
        new_saga(&s, CHECKOUT_KIND_CHECKOUT, "cust-lost", "lost-1");
        assert_int_equal(store.ops->insert(store.self, &s, "me", 60000), 0);
        for (int i = 0; i < 6; i++)
                s.state.steps[i] = SAGA_STEP_SUCCEEDED;
        s.state.current = 5;
        s.state.status = SAGA_COMPLETED;
        s.updated_ms = 99;
        struct checkout_attempt last = attempt("confirm", SAGA_OUTCOME_OK, "OK");
        db_pool_lose_commit_answers(pool, 1);
        assert_int_equal(store.ops->save(store.self, &s, "me", 60000, &last, 1), -EINPROGRESS);
        struct checkout_saga got;
        assert_int_equal(store.ops->find(store.self, s.id, &got), 0);
        assert_int_equal(got.state.status, SAGA_COMPLETED); /* it committed */
        assert_int_equal(
                contract_scalar(pool, "SELECT COUNT(*) FROM outbox WHERE msg_key = ?", s.id), 1);
        /* writing it again would be refused (final) and journal the attempt twice:
           the driver must not, and the store says it is final */
        assert_int_equal(store.ops->save(store.self, &s, "me", 60000, NULL, 0), -ESTALE);
        assert_int_equal(
                contract_scalar(pool, "SELECT COUNT(*) FROM outbox WHERE msg_key = ?", s.id), 1);
        assert_int_equal(
                contract_scalar(pool, "SELECT COUNT(*) FROM saga_attempts WHERE saga_id = ?", s.id),
                1);
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(the_resume_scan_pages_through_every_unfinished_saga),
                cmocka_unit_test(leases_run_out_on_the_stores_clock),
                cmocka_unit_test(a_checkout_key_and_a_cancellation_key_do_not_collide),
                cmocka_unit_test(an_operator_write_is_a_compare_and_set_that_releases_the_lease),
                cmocka_unit_test(the_journal_keeps_every_attempt_also_from_a_lost_lease),
                cmocka_unit_test(sagas_are_listed_by_stuck_step_customer_order_and_age),
                cmocka_unit_test(the_census_counts_open_sagas_by_kind_status_and_age),
                cmocka_unit_test(a_divergence_is_new_once_until_it_is_closed),
                cmocka_unit_test(a_final_write_whose_commit_answer_was_lost_ends_once),
                cmocka_unit_test(retention_lets_go_of_old_finished_sagas_and_long_journals),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
