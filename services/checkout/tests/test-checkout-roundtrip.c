/* Every field of a saga survives the saga store, on memory (unit suite) and
 * on MariaDB (contract suite; argv[1] = "mysql"): random valid sagas (every
 * field set, every enum value, empty and full-length strings) are inserted,
 * saved and operated on, loaded back and compared field by field. The
 * simulation runs on the memory store, so what MariaDB would drop must be
 * dropped there too: both go through one codec (checkout-codec.h), and this
 * test holds both to every field. BOOKSTORE_ROUNDTRIP_SEED replays one seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-mysql.h"
#include "checkout-store-memory.h"

#include "../../../tests/contract/contract-db.h"
#include "../../../tests/contract/random-fields.h"

#include <stdio.h>
#include <string.h>

/* A field added to these structs must be stored by both stores, generated
 * by random_saga and compared by expect_same_saga: then update the size. */
_Static_assert(sizeof(struct checkout_saga) == 9776, "a saga field was added or removed");
_Static_assert(sizeof(struct saga_state) == 424, "a saga state field was added or removed");

enum { ROUNDS = 60 };

static bool use_mysql;
static struct checkout_memory_store mem;
static struct db_pool *pool;
static char schema[64];
static struct checkout_store store;

static int64_t fixed_clock(void *self)
{
        return 1000000;
}

static const struct core_env_ops clock_ops = {.now_ms = fixed_clock};

static int setup(void **state)
{
        if (use_mysql) {
                if (contract_schema_open("bookstore_cort", checkout_migrations,
                                         checkout_migrations_count, schema, &pool) < 0)
                        return -1;
                store = checkout_store_mysql(pool);
                return 0;
        }
        checkout_memory_store_init(&mem, (struct core_env){.ops = &clock_ops});
        store = checkout_store_memory(&mem);
        return 0;
}

static int teardown(void **state)
{
        if (use_mysql)
                contract_schema_drop(pool, schema);
        else
                checkout_memory_store_free(&mem);
        return 0;
}

/* The state and the step log: what changes while the saga runs. */
static void random_progress(struct rnd *r, struct checkout_saga *s, bool final_allowed)
{
        size_t n = checkout_def_of(s->kind)->n_steps;
        memset(&s->state, 0, sizeof(s->state));
        memset(s->log, 0, sizeof(s->log));
        s->state.status = (enum saga_status)rnd_range(
                r, SAGA_RUNNING, final_allowed ? SAGA_FAILED : SAGA_COMPENSATING);
        s->state.current = (size_t)rnd_range(r, 0, (int64_t)n - 1);
        for (size_t i = 0; i < n; i++) {
                s->state.steps[i] = (enum saga_step_status)rnd_range(r, SAGA_STEP_PENDING,
                                                                     SAGA_STEP_COMPENSATED);
                s->state.attempts[i] = (int)rnd_range(r, 0, INT32_MAX);
                s->state.maybe_applied[i] = rnd_bool(r);
                RND_TEXT(r, s->log[i].last_error);
                s->log[i].started_ms = rnd_time_ms(r);
                s->log[i].updated_ms = rnd_time_ms(r);
                s->log[i].elapsed_ms = rnd_time_ms(r);
        }
        s->state.stuck = rnd_bool(r);
        s->state.retry_now = rnd_bool(r);
        s->state.in_flight = rnd_bool(r);
        RND_TEXT(r, s->state.failure_reason);
        s->updated_ms = rnd_time_ms(r);
}

static void random_total(struct rnd *r, struct checkout_money *m)
{
        rnd_ascii(r, m->currency, rnd_bool(r) ? 3 : 0);
        m->units = rnd_int64(r);
        m->nanos = (int32_t)rnd_range(r, -999999999, 999999999);
}

static void random_saga(struct rnd *r, struct checkout_saga *s, int n)
{
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "0190aaaa-0000-7000-8000-%012d", n);
        s->kind = (enum checkout_kind)rnd_range(r, CHECKOUT_KIND_CHECKOUT,
                                                CHECKOUT_KIND_CANCELLATION);
        random_progress(r, s, false);
        char tag[16]; /* customers differ: (customer, kind, key) is unique */
        snprintf(tag, sizeof(tag), "c%07d", n);
        RND_ASCII_TAGGED(r, s->customer_id, tag);
        RND_TEXT(r, s->idempotency_key);
        RND_ASCII(r, s->order_id);
        s->n_items = rnd_len(r, CHECKOUT_MAX_ITEMS);
        for (size_t i = 0; i < s->n_items; i++) {
                RND_ASCII(r, s->items[i].book_id);
                s->items[i].quantity = rnd_int32(r);
        }
        RND_TEXT(r, s->address.recipient);
        RND_TEXT(r, s->address.line1);
        RND_TEXT(r, s->address.line2);
        RND_TEXT(r, s->address.city);
        RND_TEXT(r, s->address.postal_code);
        RND_ASCII(r, s->address.country_code);
        RND_ASCII(r, s->address_id);
        RND_ASCII(r, s->payment_token);
        RND_TEXT(r, s->reason);
        random_total(r, &s->total);
        RND_ASCII(r, s->trace_id);
        s->created_ms = rnd_time_ms(r);
}

static void expect_same_saga(const struct checkout_saga *want, const struct checkout_saga *got)
{
        assert_string_equal(got->id, want->id);
        assert_int_equal(got->kind, want->kind);
        const struct saga_state *a = &want->state, *b = &got->state;
        assert_int_equal(b->status, a->status);
        assert_int_equal(b->current, a->current);
        for (size_t i = 0; i < SAGA_MAX_STEPS; i++) {
                assert_int_equal(b->steps[i], a->steps[i]);
                assert_int_equal(b->attempts[i], a->attempts[i]);
                assert_int_equal(b->maybe_applied[i], a->maybe_applied[i]);
                assert_string_equal(got->log[i].last_error, want->log[i].last_error);
                assert_int_equal(got->log[i].started_ms, want->log[i].started_ms);
                assert_int_equal(got->log[i].updated_ms, want->log[i].updated_ms);
                assert_int_equal(got->log[i].elapsed_ms, want->log[i].elapsed_ms);
        }
        assert_int_equal(b->stuck, a->stuck);
        assert_int_equal(b->retry_now, a->retry_now);
        assert_int_equal(b->in_flight, a->in_flight);
        assert_string_equal(b->failure_reason, a->failure_reason);
        assert_string_equal(got->customer_id, want->customer_id);
        assert_string_equal(got->idempotency_key, want->idempotency_key);
        assert_string_equal(got->order_id, want->order_id);
        assert_int_equal(got->n_items, want->n_items);
        for (size_t i = 0; i < CHECKOUT_MAX_ITEMS; i++) {
                assert_string_equal(got->items[i].book_id, want->items[i].book_id);
                assert_int_equal(got->items[i].quantity, want->items[i].quantity);
        }
        const struct checkout_address *x = &want->address, *y = &got->address;
        assert_string_equal(y->recipient, x->recipient);
        assert_string_equal(y->line1, x->line1);
        assert_string_equal(y->line2, x->line2);
        assert_string_equal(y->city, x->city);
        assert_string_equal(y->postal_code, x->postal_code);
        assert_string_equal(y->country_code, x->country_code);
        assert_string_equal(got->address_id, want->address_id);
        assert_string_equal(got->payment_token, want->payment_token);
        assert_string_equal(got->reason, want->reason);
        assert_string_equal(got->total.currency, want->total.currency);
        assert_int_equal(got->total.units, want->total.units);
        assert_int_equal(got->total.nanos, want->total.nanos);
        assert_string_equal(got->trace_id, want->trace_id);
        assert_int_equal(got->created_ms, want->created_ms);
        assert_int_equal(got->updated_ms, want->updated_ms);
        assert_true(got->seq > 0);
}

/* What a write sends: noise in every field but the ones it stores (and the
 * id and kind, which name the saga), so a store that writes more than it
 * should is caught as surely as one that writes less. */
static void with_noise(struct rnd *r, const struct checkout_saga *written, bool owners_save,
                       struct checkout_saga *sent)
{
        random_saga(r, sent, 999999);
        memcpy(sent->id, written->id, sizeof(sent->id));
        sent->kind = written->kind;
        sent->state = written->state;
        memcpy(sent->log, written->log, sizeof(sent->log));
        sent->updated_ms = written->updated_ms;
        sent->version = written->version;
        if (owners_save) {
                memcpy(sent->order_id, written->order_id, sizeof(sent->order_id));
                sent->total = written->total;
        }
}

static uint64_t first_seed(void)
{
        const char *e = getenv("BOOKSTORE_ROUNDTRIP_SEED");
        return e && *e ? strtoull(e, NULL, 10) : 1;
}

/* Inserted, saved by its owner (also into a final state), and written by an
 * operator: each time loaded back whole, by id, by key and by order. */
static void every_field_survives_insert_save_and_operate(void **state)
{
        uint64_t seed0 = first_seed();
        int rounds = getenv("BOOKSTORE_ROUNDTRIP_SEED") ? 1 : ROUNDS;
        struct checkout_saga *want = malloc(sizeof(*want)), *got = malloc(sizeof(*got)),
                             *sent = malloc(sizeof(*sent));
        for (int i = 0; i < rounds; i++) {
                uint64_t seed = seed0 + (uint64_t)i;
                printf("seed %llu\n", (unsigned long long)seed);
                struct rnd r = {seed};
                random_saga(&r, want, (int)seed);
                assert_int_equal(store.ops->insert(store.self, want, "rt", 60000), 0);
                assert_int_equal(store.ops->find(store.self, want->id, got), 0);
                expect_same_saga(want, got);
                assert_int_equal(store.ops->find_by_key(store.self, want->customer_id, want->kind,
                                                        want->idempotency_key, got),
                                 0);
                expect_same_saga(want, got);

                /* an operator's write: the state, never the input */
                random_progress(&r, want, false);
                want->version = got->version;
                struct checkout_action act = {.op = SAGA_OP_RETRY_NOW,
                                              .actor = "rt",
                                              .from = got->state.status,
                                              .to = want->state.status};
                with_noise(&r, want, false, sent);
                assert_int_equal(store.ops->operate(store.self, sent, &act), 0);
                assert_int_equal(store.ops->claim(store.self, want->id, "rt", 60000, got), 0);
                expect_same_saga(want, got);

                /* the owner's write: the state, the order and its total */
                random_progress(&r, want, true);
                RND_ASCII(&r, want->order_id);
                random_total(&r, &want->total);
                with_noise(&r, want, true, sent);
                assert_int_equal(store.ops->save(store.self, sent, "rt", 60000, NULL, 0), 0);
                assert_int_equal(store.ops->find(store.self, want->id, got), 0);
                expect_same_saga(want, got);
                if (want->order_id[0]) {
                        assert_int_equal(store.ops->find_by_order(store.self, want->order_id, got),
                                         0);
                        expect_same_saga(want, got);
                }
        }
        free(want);
        free(got);
        free(sent);
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_field_survives_insert_save_and_operate),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
