/* Inventory use cases under the saga's timing faults, against the memory
 * store (unit suite) and MariaDB (contract suite; argv[1] = "mysql"): an undo
 * that overtakes its reservation fences it off, and no late or repeated
 * ReserveStock holds stock for an order whose reservation was released. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "inventory-app.h"
#include "inventory-mysql.h"
#include "inventory-store-memory.h"

#include "../../../tests/contract/contract-db.h"
#include "../../../tests/contract/random-fields.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool use_mysql;
static struct inventory_memory memory;
static struct db_pool *pool;
static char schema[64];
static struct inventory_app app;
static int order_no;

static int open_mysql(void)
{
        if (contract_schema_open("bookstore_inv", inventory_migrations, inventory_migrations_count,
                                 schema, &pool) < 0)
                return -1;
        app.store = inventory_store_mysql(pool);
        return 0;
}

static int setup(void **state)
{
        if (use_mysql)
                return open_mysql();
        inventory_memory_init(&memory);
        app.store = inventory_store_memory(&memory);
        return 0;
}

static int teardown(void **state)
{
        if (use_mysql) {
                contract_schema_drop(pool, schema);
        } else {
                inventory_memory_free(&memory);
        }
        return 0;
}

/* A fresh order id and a book with `on_hand` units, per test. */
static void fresh(char order[32], char book[32], int64_t on_hand)
{
        order_no++;
        snprintf(order, 32, "o-%d-%d", (int)getpid(), order_no);
        snprintf(book, 32, "b-%d-%d", (int)getpid(), order_no);
        struct inventory_level l;
        assert_int_equal(app.store.ops->set_on_hand(app.store.self, book, on_hand, &l), 0);
}

static int64_t reserved_of(const char *book)
{
        struct inventory_level l;
        assert_int_equal(inventory_get_stock(&app, book, &l), 0);
        return l.reserved;
}

static int reserve(const char *order, const char *book, int64_t quantity)
{
        struct inventory_item item = {.quantity = quantity};
        snprintf(item.book_id, sizeof(item.book_id), "%s", book);
        struct inventory_reservation res;
        char message[256];
        return inventory_reserve(&app, order, &item, 1, -1, &res, message, sizeof(message));
}

static void a_release_that_overtakes_its_reservation_fences_it_off(void **state)
{
        char order[32], book[32];
        fresh(order, book, 5);
        struct inventory_reservation res;
        /* the saga gave up on ReserveStock and released: nothing was there yet */
        assert_int_equal(inventory_apply(&app, order, ACTION_RELEASE, &res), IE_OK);
        assert_int_equal(res.status, RESERVATION_RELEASED);
        /* the reservation arrives late: refused, and no stock is held */
        assert_int_equal(reserve(order, book, 2), IE_COMPENSATED);
        assert_int_equal(reserved_of(book), 0);
        /* undoing again is still fine; committing the tombstone is not */
        assert_int_equal(inventory_apply(&app, order, ACTION_RELEASE, &res), IE_OK);
        assert_int_equal(inventory_apply(&app, order, ACTION_COMMIT, &res), IE_WRONG_STATE);
        assert_int_equal(reserved_of(book), 0);
}

static void a_reservation_repeated_after_its_release_is_refused(void **state)
{
        char order[32], book[32];
        fresh(order, book, 5);
        struct inventory_reservation res;
        assert_int_equal(reserve(order, book, 3), IE_OK);
        assert_int_equal(reserve(order, book, 3), IE_OK); /* a plain repeat: the same answer */
        assert_int_equal(reserved_of(book), 3);
        assert_int_equal(inventory_apply(&app, order, ACTION_RELEASE, &res), IE_OK);
        assert_int_equal(reserved_of(book), 0);
        /* a duplicate of the first request, delivered after the release */
        assert_int_equal(reserve(order, book, 3), IE_COMPENSATED);
        assert_int_equal(reserved_of(book), 0);
        assert_int_equal(reserve(order, book, 1), IE_COMPENSATED);
}

static void a_restock_of_an_unknown_order_fences_it_too(void **state)
{
        char order[32], book[32];
        fresh(order, book, 4);
        struct inventory_reservation res;
        assert_int_equal(inventory_apply(&app, order, ACTION_RESTOCK, &res), IE_OK);
        assert_int_equal(reserve(order, book, 1), IE_COMPENSATED);
        struct inventory_level l;
        assert_int_equal(inventory_get_stock(&app, book, &l), 0);
        assert_int_equal(l.on_hand, 4); /* nothing restocked out of thin air */
        assert_int_equal(l.reserved, 0);
}

static void the_same_order_with_other_items_is_refused(void **state)
{
        char order[32], book[32];
        fresh(order, book, 4);
        assert_int_equal(reserve(order, book, 1), IE_OK);
        assert_int_equal(reserve(order, book, 2), IE_ORDER_MISMATCH);
        assert_int_equal(reserved_of(book), 1);
}

static void a_reservation_after_its_callers_deadline_changes_nothing(void **state)
{
        char order[32], book[32];
        fresh(order, book, 5);
        struct inventory_item item = {.quantity = 2};
        snprintf(item.book_id, sizeof(item.book_id), "%s", book);
        struct inventory_reservation res;
        char message[256];
        assert_int_equal(
                inventory_reserve(&app, order, &item, 1, 0, &res, message, sizeof(message)),
                IE_DEADLINE);
        assert_int_equal(reserved_of(book), 0);
        /* nothing was recorded either: the saga's retry, in time, reserves */
        assert_int_equal(
                inventory_reserve(&app, order, &item, 1, 250, &res, message, sizeof(message)),
                IE_OK);
        assert_int_equal(reserved_of(book), 2);
}

/* Release and reserve of one order, started together from two threads, as a
 * late ReserveStock meets the saga's ReleaseStock: whichever wins, the order
 * ends released (a tombstone or a released reservation) and no stock stays
 * held for it. */
enum { RACES = 40 };
struct race {
        char order[32], book[32];
        int reserve_result, release_result;
        pthread_barrier_t *start;
};

static void *race_reserve(void *arg)
{
        struct race *r = arg;
        pthread_barrier_wait(r->start);
        r->reserve_result = reserve(r->order, r->book, 2);
        return NULL;
}

static void *race_release(void *arg)
{
        struct race *r = arg;
        struct inventory_reservation res;
        pthread_barrier_wait(r->start);
        r->release_result = inventory_apply(&app, r->order, ACTION_RELEASE, &res);
        return NULL;
}

static void a_release_racing_its_reservation_never_leaves_stock_held(void **state)
{
        static struct race races[RACES];
        pthread_barrier_t start;
        for (int i = 0; i < RACES; i++) {
                fresh(races[i].order, races[i].book, 5);
                pthread_barrier_init(&start, NULL, 2);
                races[i].start = &start;
                pthread_t a, b;
                assert_int_equal(pthread_create(&a, NULL, race_reserve, &races[i]), 0);
                assert_int_equal(pthread_create(&b, NULL, race_release, &races[i]), 0);
                pthread_join(a, NULL);
                pthread_join(b, NULL);
                pthread_barrier_destroy(&start);
                struct race *r = &races[i];
                assert_int_equal(r->release_result, IE_OK);
                /* reserved first (then released), or fenced off by the tombstone */
                assert_true(r->reserve_result == IE_OK || r->reserve_result == IE_COMPENSATED);
                assert_int_equal(reserved_of(r->book), 0);
                struct inventory_reservation res;
                assert_int_equal(inventory_apply(&app, r->order, ACTION_RELEASE, &res), IE_OK);
                assert_int_equal(res.status, RESERVATION_RELEASED);
                assert_int_equal(reserve(r->order, r->book, 2), IE_COMPENSATED);
        }
}

/* Retention: a tombstone written before the cut goes; a released
 * reservation that held stock (it has items) and a younger tombstone stay. */
static void old_tombstones_go_and_reservations_stay(void **state)
{
        char order[32], book[32], tomb[40], young[40];
        fresh(order, book, 5);
        assert_int_equal(reserve(order, book, 2), IE_OK);
        struct inventory_reservation res;
        assert_int_equal(inventory_apply(&app, order, ACTION_RELEASE, &res), IE_OK);
        snprintf(tomb, sizeof(tomb), "%s-t", order);
        assert_int_equal(inventory_apply(&app, tomb, ACTION_RELEASE, &res), IE_OK); /* fences */
        int64_t n = 0, cut = (int64_t)time(NULL) + 1; /* everything so far is older */
        sleep(2);
        snprintf(young, sizeof(young), "%s-y", order);
        assert_int_equal(inventory_apply(&app, young, ACTION_RESTOCK, &res), IE_OK);
        assert_int_equal(app.store.ops->prune_tombstones(app.store.self, cut, &n), 0);
        assert_true(n >= 1);
        const char *ids[] = {order, tomb, young};
        struct inventory_reservation *got = calloc(4, sizeof(*got));
        struct listing_filter f = {.ids = ids, .n_ids = 3, .limit = 4};
        size_t found = 0;
        assert_int_equal(app.store.ops->list(app.store.self, &f, got, &found), 0);
        assert_int_equal(found, 2);
        for (size_t i = 0; i < found; i++)
                assert_string_not_equal(got[i].order_id, tomb);
        free(got);
}

/* A field added to these structs must be stored by both stores, generated
 * and compared below: then update the size. */
_Static_assert(sizeof(struct inventory_reservation) == 7288, "a reservation field was added");
_Static_assert(sizeof(struct inventory_item) == 72, "a reservation item field was added");

static void expect_same_reservation(const struct inventory_reservation *want,
                                    const struct inventory_reservation *got)
{
        assert_string_equal(got->order_id, want->order_id);
        assert_int_equal(got->status, want->status);
        assert_int_equal(got->n_items, want->n_items);
        for (size_t i = 0; i < want->n_items; i++) {
                assert_string_equal(got->items[i].book_id, want->items[i].book_id);
                assert_int_equal(got->items[i].quantity, want->items[i].quantity);
        }
}

/* Random valid reservations (1 to 100 books, every quantity up to the
 * largest, full-length ids) read back field for field on both stores, from
 * the reservation's answer and from the listing, through every move. */
static void every_field_survives_reserve_list_and_moves(void **state)
{
        struct inventory_reservation *want = malloc(sizeof(*want)), *got = malloc(sizeof(*got));
        for (uint64_t seed = 1; seed <= 20; seed++) {
                struct rnd r = {seed};
                memset(want, 0, sizeof(*want));
                char tag[32];
                snprintf(tag, sizeof(tag), "rt%llu-%d-", (unsigned long long)seed, (int)getpid());
                RND_ASCII_TAGGED(&r, want->order_id, tag);
                want->n_items = (size_t)rnd_range(&r, 1, INVENTORY_MAX_ITEMS);
                for (size_t i = 0; i < want->n_items; i++) {
                        struct inventory_item *it = &want->items[i];
                        snprintf(tag, sizeof(tag), "b%llu-%d-%03zu", (unsigned long long)seed,
                                 (int)getpid(), i);
                        RND_ASCII_TAGGED(&r, it->book_id, tag);
                        it->quantity = rnd_range(&r, 1, INVENTORY_MAX_QUANTITY);
                        struct inventory_level l;
                        assert_int_equal(app.store.ops->set_on_hand(app.store.self, it->book_id,
                                                                    it->quantity, &l),
                                         0);
                }
                assert_int_equal(inventory_normalize_items(want->items, want->n_items), IE_OK);
                want->status = RESERVATION_RESERVED;
                char shortage[256];
                assert_int_equal(app.store.ops->reserve(app.store.self, want->order_id, want->items,
                                                        want->n_items, got, shortage,
                                                        sizeof(shortage)),
                                 0);
                expect_same_reservation(want, got);
                const enum inventory_action moves[] = {ACTION_COMMIT, ACTION_RESTOCK};
                const enum inventory_reservation_status after[] = {RESERVATION_COMMITTED,
                                                                   RESERVATION_RESTOCKED};
                for (int m = -1; m < 2; m++) {
                        if (m >= 0) {
                                assert_int_equal(app.store.ops->transition(app.store.self,
                                                                           want->order_id, moves[m],
                                                                           got),
                                                 0);
                                want->status = after[m];
                                expect_same_reservation(want, got);
                        }
                        const char *ids[] = {want->order_id};
                        struct listing_filter f = {.ids = ids, .n_ids = 1, .limit = 2};
                        size_t n = 0;
                        assert_int_equal(app.store.ops->list(app.store.self, &f, got, &n), 0);
                        assert_int_equal(n, 1);
                        expect_same_reservation(want, got);
                }
        }
        free(want);
        free(got);
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_release_that_overtakes_its_reservation_fences_it_off),
                cmocka_unit_test(a_reservation_repeated_after_its_release_is_refused),
                cmocka_unit_test(a_restock_of_an_unknown_order_fences_it_too),
                cmocka_unit_test(the_same_order_with_other_items_is_refused),
                cmocka_unit_test(a_release_racing_its_reservation_never_leaves_stock_held),
                cmocka_unit_test(a_reservation_after_its_callers_deadline_changes_nothing),
                cmocka_unit_test(every_field_survives_reserve_list_and_moves),
                cmocka_unit_test(old_tombstones_go_and_reservations_stay),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
