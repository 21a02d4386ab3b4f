/* The order store's contract (order-ports.h), one set of cases run against
 * the memory store (unit suite) and MariaDB (contract suite; argv[1] =
 * "mysql"), so the simulation's store behaves as the real one: an order
 * reads back field for field, an idempotency key is one order per customer,
 * a status change is a compare-and-set, and listing filters and pages the
 * same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "order-memory.h"
#include "order-mysql.h"

#include "../../../tests/contract/contract-db.h"
#include "../../../tests/contract/random-fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool use_mysql;
static struct order_memory_store memory;
static struct db_pool *pool;
static char schema[64];
static struct order_store store;
static int order_no;

static int setup(void **state)
{
        (void)state;
        if (use_mysql) {
                if (contract_schema_open("bookstore_ord", order_migrations, order_migrations_count,
                                         schema, &pool) < 0)
                        return -1;
                store = order_store_mysql(pool);
                return 0;
        }
        order_memory_store_init(&memory);
        store = order_store_memory(&memory);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        if (use_mysql)
                contract_schema_drop(pool, schema);
        else
                order_memory_store_free(&memory);
        return 0;
}

static void add_item(struct order *o, const char *book, const char *seller, int32_t quantity,
                     int64_t units)
{
        struct order_item *it = &o->items[o->n_items++];
        snprintf(it->book_id, sizeof(it->book_id), "%s", book);
        snprintf(it->title, sizeof(it->title), "Title of %s, with ünïcode", book);
        snprintf(it->seller_id, sizeof(it->seller_id), "%s", seller);
        it->quantity = quantity;
        it->unit_price = (struct order_money){.currency = "EUR", .units = units, .nanos = 500};
        it->line_total = (struct order_money){
                .currency = "EUR", .units = units * quantity, .nanos = 500 * quantity};
        o->total.units += it->line_total.units;
        o->total.nanos += it->line_total.nanos;
}

/* A pending order of `customer` with one book of `seller`, a fresh id. */
static struct order *new_order(const char *customer, const char *key, const char *seller)
{
        static struct order o;
        memset(&o, 0, sizeof(o));
        order_no++;
        snprintf(o.id, sizeof(o.id), "00000000-0000-4000-8000-%06u%06u",
                 (unsigned)getpid() % 1000000u, (unsigned)order_no % 1000000u);
        snprintf(o.customer_id, sizeof(o.customer_id), "%s", customer);
        snprintf(o.idempotency_key, sizeof(o.idempotency_key), "%s", key);
        memcpy(o.total.currency, "EUR", 4);
        add_item(&o, "book-1", seller, 2, 10);
        o.status = ORDER_PENDING;
        o.address = (struct order_address){.recipient = "Ada",
                                           .line1 = "1 Main St",
                                           .line2 = "Flat 2",
                                           .city = "Zürich",
                                           .postal_code = "8000",
                                           .country_code = "CH"};
        o.created_at = o.updated_at = 1700000000000 + order_no;
        return &o;
}

static void an_order_reads_back_field_for_field(void **state)
{
        (void)state;
        struct order *o = new_order("cust-1", "key-1", "seller-1");
        add_item(o, "book-2", "seller-2", 1, 7);
        struct order want = *o;
        assert_int_equal(store.ops->insert(store.self, o), 0);
        struct order got;
        assert_int_equal(store.ops->find(store.self, want.id, &got), 0);
        assert_true(got.seq > 0);
        assert_string_equal(got.customer_id, "cust-1");
        assert_string_equal(got.idempotency_key, "key-1");
        assert_int_equal(got.status, ORDER_PENDING);
        assert_string_equal(got.total.currency, "EUR");
        assert_int_equal(got.total.units, want.total.units);
        assert_int_equal(got.total.nanos, want.total.nanos);
        assert_memory_equal(&got.address, &want.address, sizeof(want.address));
        assert_int_equal(got.created_at, want.created_at);
        assert_int_equal(got.n_items, 2);
        for (size_t i = 0; i < 2; i++) {
                assert_string_equal(got.items[i].book_id, want.items[i].book_id);
                assert_string_equal(got.items[i].title, want.items[i].title);
                assert_string_equal(got.items[i].seller_id, want.items[i].seller_id);
                assert_int_equal(got.items[i].quantity, want.items[i].quantity);
                assert_int_equal(got.items[i].unit_price.units, want.items[i].unit_price.units);
                assert_int_equal(got.items[i].line_total.nanos, want.items[i].line_total.nanos);
        }
}

static void an_idempotency_key_is_one_order_per_customer(void **state)
{
        (void)state;
        struct order first = *new_order("cust-1", "same-key", "seller-1");
        assert_int_equal(store.ops->insert(store.self, &first), 0);
        assert_int_equal(store.ops->insert(store.self, new_order("cust-1", "same-key", "s")),
                         -EEXIST);
        assert_int_equal(store.ops->insert(store.self, new_order("cust-2", "same-key", "s")), 0);
        /* no key: any number of orders */
        assert_int_equal(store.ops->insert(store.self, new_order("cust-1", "", "s")), 0);
        assert_int_equal(store.ops->insert(store.self, new_order("cust-1", "", "s")), 0);
        struct order got;
        assert_int_equal(store.ops->find_by_key(store.self, "cust-1", "same-key", &got), 0);
        assert_string_equal(got.id, first.id);
        assert_int_equal(got.n_items, 1);
        assert_int_equal(store.ops->find_by_key(store.self, "cust-3", "same-key", &got), -ENOENT);
        assert_int_equal(store.ops->find(store.self, "no-such-order", &got), -ENOENT);
}

static void the_same_id_twice_is_refused_and_changes_nothing(void **state)
{
        (void)state;
        struct order first = *new_order("cust-1", "k-a", "seller-1");
        assert_int_equal(store.ops->insert(store.self, &first), 0);
        struct order again = first;
        snprintf(again.idempotency_key, sizeof(again.idempotency_key), "k-b");
        snprintf(again.customer_id, sizeof(again.customer_id), "cust-9");
        assert_int_equal(store.ops->insert(store.self, &again), -EEXIST);
        struct order got;
        assert_int_equal(store.ops->find(store.self, first.id, &got), 0);
        assert_string_equal(got.customer_id, "cust-1");
        assert_int_equal(got.n_items, 1);
}

/* The order as stored, moved to `to`: what the use case hands to set_status. */
static int change(const char *id, enum order_status from, enum order_status to, const char *reason,
                  int64_t at)
{
        struct order o;
        int r = store.ops->find(store.self, id, &o);
        if (r < 0)
                return r;
        o.status = to;
        snprintf(o.status_reason, sizeof(o.status_reason), "%s", reason);
        o.updated_at = at;
        return store.ops->set_status(store.self, &o, from);
}

static void a_status_change_is_a_compare_and_set(void **state)
{
        (void)state;
        struct order o = *new_order("cust-1", "k", "seller-1");
        o.seq = 0;
        assert_int_equal(store.ops->insert(store.self, &o), 0);
        struct order stored; /* the inserted copy is what a read gives: no read needed */
        assert_int_equal(store.ops->find(store.self, o.id, &stored), 0);
        assert_true(o.seq > 0);
        assert_int_equal(stored.seq, o.seq);
        assert_int_equal(stored.n_items, o.n_items);
        assert_int_equal(stored.total.units, o.total.units);
        assert_int_equal(
                change(o.id, ORDER_PENDING, ORDER_PAYMENT_AUTHORIZED, "paid", o.created_at + 5), 0);
        /* a second writer that read PENDING loses */
        assert_int_equal(change(o.id, ORDER_PENDING, ORDER_REJECTED, "late", o.created_at + 6),
                         -ESTALE);
        struct order got;
        assert_int_equal(store.ops->find(store.self, o.id, &got), 0);
        assert_int_equal(got.status, ORDER_PAYMENT_AUTHORIZED);
        assert_string_equal(got.status_reason, "paid");
        assert_int_equal(got.updated_at, o.created_at + 5);
        assert_int_equal(got.n_items, 1);
        struct order ghost = o;
        snprintf(ghost.id, sizeof(ghost.id), "no-such-order");
        assert_int_equal(store.ops->set_status(store.self, &ghost, ORDER_PENDING), -ENOENT);
}

static size_t list(const struct order_query *q, struct order *out)
{
        size_t n = 99;
        assert_int_equal(store.ops->list(store.self, q, out, &n), 0);
        assert_true(n <= q->limit);
        for (size_t i = 1; i < n; i++)
                assert_true(out[i].seq > out[i - 1].seq);
        return n;
}

/* The cases share one store: this one's customers and sellers are its own,
 * and its unfiltered pages start just before its first order. */
static void listing_filters_and_pages_alike(void **state)
{
        (void)state;
        char ids[5][37], book[40];
        snprintf(book, sizeof(book), "list-book-%u", (unsigned)getpid());
        const char *customers[] = {"list-a", "list-b", "list-a", "list-a", "list-b"};
        const char *sellers[] = {"list-x", "list-y", "list-y", "list-x", "list-x"};
        for (int i = 0; i < 5; i++) {
                struct order *o = new_order(customers[i], "", sellers[i]);
                if (i == 1 || i == 4) /* this case's own book, in two orders */
                        add_item(o, book, "list-z", 1, 7);
                memcpy(ids[i], o->id, sizeof(ids[i]));
                assert_int_equal(store.ops->insert(store.self, o), 0);
        }
        assert_int_equal(change(ids[3], ORDER_PENDING, ORDER_REJECTED, "r", 1), 0);
        struct order out[8];
        struct order_query q = {.customer_id = "list-a", .limit = 8};
        assert_int_equal(list(&q, out), 3);
        assert_string_equal(out[0].id, ids[0]);
        assert_string_equal(out[2].id, ids[3]);
        assert_int_equal(out[2].n_items, 1);
        q = (struct order_query){.seller_id = "list-x", .limit = 8};
        assert_int_equal(list(&q, out), 3);
        assert_string_equal(out[1].id, ids[3]);
        q = (struct order_query){.seller_id = "list-x", .status = ORDER_PENDING, .limit = 8};
        assert_int_equal(list(&q, out), 2);
        assert_string_equal(out[1].id, ids[4]);
        q = (struct order_query){.book_id = book, .limit = 8};
        assert_int_equal(list(&q, out), 2);
        assert_string_equal(out[0].id, ids[1]);
        assert_string_equal(out[1].id, ids[4]);
        assert_int_equal(out[1].n_items, 2);
        q = (struct order_query){.book_id = book, .customer_id = "list-a", .limit = 8};
        assert_int_equal(list(&q, out), 0);
        /* pages of two, each starting after the last one's seq */
        assert_int_equal(store.ops->find(store.self, ids[0], &out[0]), 0);
        q = (struct order_query){.after_seq = out[0].seq - 1, .limit = 2};
        assert_int_equal(list(&q, out), 2);
        assert_string_equal(out[0].id, ids[0]);
        assert_string_equal(out[1].id, ids[1]);
        q.after_seq = out[1].seq;
        assert_int_equal(list(&q, out), 2);
        assert_string_equal(out[0].id, ids[2]);
        q.after_seq = out[1].seq;
        assert_int_equal(list(&q, out), 1);
        assert_string_equal(out[0].id, ids[4]);
        q.after_seq = out[0].seq;
        assert_int_equal(list(&q, out), 0);
}

/* A field added to these structs must be stored by both stores, generated
 * and compared below: then update the size. */
_Static_assert(sizeof(struct order) == 70416, "an order field was added or removed");
_Static_assert(sizeof(struct order_item) == 1384, "an order item field was added or removed");

static void random_money(struct rnd *r, struct order_money *m, const char *currency)
{
        memcpy(m->currency, currency, 4);
        m->units = rnd_range(r, 0, 1000000000000LL);
        m->nanos = (int32_t)rnd_range(r, 0, 999999999);
}

static void random_order(struct rnd *r, struct order *o, uint64_t seed)
{
        memset(o, 0, sizeof(*o));
        snprintf(o->id, sizeof(o->id), "0190dddd-0000-7000-8000-%06u%06u",
                 (unsigned)getpid() % 1000000u, (unsigned)seed);
        char tag[32];
        snprintf(tag, sizeof(tag), "rt%llu-%d-", (unsigned long long)seed, (int)getpid());
        RND_ASCII_TAGGED(r, o->customer_id, tag);
        char currency[4];
        rnd_ascii(r, currency, 3);
        o->n_items = (size_t)rnd_range(r, 1, ORDER_MAX_ITEMS);
        for (size_t i = 0; i < o->n_items; i++) {
                struct order_item *it = &o->items[i];
                RND_ASCII(r, it->book_id);
                rnd_utf8_chars(r, it->title, sizeof(it->title), 300); /* the catalog's bound */
                RND_ASCII(r, it->seller_id);
                it->quantity = (int32_t)rnd_range(r, 1, ORDER_MAX_QUANTITY);
                random_money(r, &it->unit_price, currency);
                random_money(r, &it->line_total, currency);
        }
        random_money(r, &o->total, currency);
        o->status = (enum order_status)rnd_range(r, ORDER_PENDING, ORDER_CANCELLED);
        RND_TEXT(r, o->status_reason);
        RND_TEXT(r, o->address.recipient);
        RND_TEXT(r, o->address.line1);
        RND_TEXT(r, o->address.line2);
        RND_TEXT(r, o->address.city);
        RND_TEXT(r, o->address.postal_code);
        rnd_ascii(r, o->address.country_code, 2);
        RND_TEXT(r, o->idempotency_key);
        o->created_at = rnd_time_ms(r) / 1000;
        o->updated_at = rnd_time_ms(r) / 1000;
}

static void expect_same_order(const struct order *want, const struct order *got)
{
        assert_string_equal(got->id, want->id);
        assert_int_equal(got->seq, want->seq);
        assert_string_equal(got->customer_id, want->customer_id);
        assert_int_equal(got->n_items, want->n_items);
        for (size_t i = 0; i < ORDER_MAX_ITEMS; i++) {
                const struct order_item *a = &want->items[i], *b = &got->items[i];
                if (i >= want->n_items)
                        break;
                assert_string_equal(b->book_id, a->book_id);
                assert_string_equal(b->title, a->title);
                assert_string_equal(b->seller_id, a->seller_id);
                assert_int_equal(b->quantity, a->quantity);
                const struct order_money *x[] = {&a->unit_price, &a->line_total},
                                         *y[] = {&b->unit_price, &b->line_total};
                for (int k = 0; k < 2; k++) {
                        assert_string_equal(y[k]->currency, x[k]->currency);
                        assert_int_equal(y[k]->units, x[k]->units);
                        assert_int_equal(y[k]->nanos, x[k]->nanos);
                }
        }
        assert_string_equal(got->total.currency, want->total.currency);
        assert_int_equal(got->total.units, want->total.units);
        assert_int_equal(got->total.nanos, want->total.nanos);
        assert_int_equal(got->status, want->status);
        assert_string_equal(got->status_reason, want->status_reason);
        const struct order_address *a = &want->address, *b = &got->address;
        assert_string_equal(b->recipient, a->recipient);
        assert_string_equal(b->line1, a->line1);
        assert_string_equal(b->line2, a->line2);
        assert_string_equal(b->city, a->city);
        assert_string_equal(b->postal_code, a->postal_code);
        assert_string_equal(b->country_code, a->country_code);
        assert_string_equal(got->idempotency_key, want->idempotency_key);
        assert_int_equal(got->created_at, want->created_at);
        assert_int_equal(got->updated_at, want->updated_at);
}

/* Random valid orders (every field set, every status, up to 50 items, empty
 * and full-length text) inserted, found by id, key and listing, and changed
 * by status, read back field for field on both stores. */
static void every_field_survives_insert_list_and_status_change(void **state)
{
        struct order *want = malloc(sizeof(*want)), *got = malloc(sizeof(*got));
        for (uint64_t seed = 1; seed <= 30; seed++) {
                struct rnd r = {seed};
                random_order(&r, want, seed);
                assert_int_equal(store.ops->insert(store.self, want), 0);
                assert_int_equal(store.ops->find(store.self, want->id, got), 0);
                expect_same_order(want, got);
                if (want->idempotency_key[0]) {
                        assert_int_equal(store.ops->find_by_key(store.self, want->customer_id,
                                                                want->idempotency_key, got),
                                         0);
                        expect_same_order(want, got);
                }
                struct order_query q = {.customer_id = want->customer_id, .limit = 2};
                size_t n = 0;
                assert_int_equal(store.ops->list(store.self, &q, got, &n), 0);
                assert_int_equal(n, 1);
                expect_same_order(want, got);

                struct order changed = *want;
                changed.status = (enum order_status)rnd_range(&r, ORDER_PENDING, ORDER_CANCELLED);
                RND_TEXT(&r, changed.status_reason);
                changed.updated_at = rnd_time_ms(&r) / 1000;
                assert_int_equal(store.ops->set_status(store.self, &changed, want->status), 0);
                assert_int_equal(store.ops->find(store.self, want->id, got), 0);
                expect_same_order(&changed, got);
        }
        free(want);
        free(got);
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(an_order_reads_back_field_for_field),
                cmocka_unit_test(an_idempotency_key_is_one_order_per_customer),
                cmocka_unit_test(the_same_id_twice_is_refused_and_changes_nothing),
                cmocka_unit_test(a_status_change_is_a_compare_and_set),
                cmocka_unit_test(listing_filters_and_pages_alike),
                cmocka_unit_test(every_field_survives_insert_list_and_status_change),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
