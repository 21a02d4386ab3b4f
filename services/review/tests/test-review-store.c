/* The review store's contract (review-ports.h), one set of cases run
 * against the memory store (unit suite) and MariaDB (contract suite;
 * argv[1] = "mysql"): a review reads back field for field, one per customer
 * and book, changes are compare-and-sets that move the book's summary (whose
 * version grows), marks count once and survive edits, and listings order
 * and page alike. On MariaDB each change also leaves its event in the
 * outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "review-memory.h"
#include "review-mysql.h"

#include "../../../tests/contract/contract-db.h"
#include "../../../tests/contract/random-fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool use_mysql;
static struct review_memory_store memory;
static struct db_pool *pool;
static char schema[64];
static struct review_store store;
static int review_no;

static int setup(void **state)
{
        (void)state;
        if (use_mysql) {
                if (contract_schema_open("bookstore_rev", review_migrations,
                                         review_migrations_count, schema, &pool) < 0)
                        return -1;
                store = review_store_mysql(pool);
                return 0;
        }
        review_memory_store_init(&memory);
        store = review_store_memory(&memory);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        if (use_mysql)
                contract_schema_drop(pool, schema);
        else
                review_memory_store_free(&memory);
        return 0;
}

static struct review *new_review(const char *book, const char *customer, int rating)
{
        static struct review r;
        memset(&r, 0, sizeof(r));
        review_no++;
        snprintf(r.id, sizeof(r.id), "00000000-0000-4000-8000-%06u%06u",
                 (unsigned)getpid() % 1000000u, (unsigned)review_no % 1000000u);
        snprintf(r.book_id, sizeof(r.book_id), "%s", book);
        snprintf(r.customer_id, sizeof(r.customer_id), "%s", customer);
        snprintf(r.seller_id, sizeof(r.seller_id), "shop-1");
        r.rating = rating;
        snprintf(r.text, sizeof(r.text), "Zürich-grade prose,\nsecond line \xf0\x9f\x93\x9a");
        r.created_ms = r.updated_ms = 1700000000000 + review_no;
        return &r;
}

static int64_t outbox_rows(void)
{
        int64_t n = -1;
        assert_int_equal(
                db_pool_query(pool, "SELECT COUNT(*) FROM outbox", NULL, 0, db_row_first_int64, &n),
                0);
        return n;
}

static void a_review_reads_back_and_is_one_per_customer_and_book(void **state)
{
        (void)state;
        struct review a = *new_review("b-read", "ann", 4), got;
        struct rating_summary s;
        assert_int_equal(store.ops->insert(store.self, &a, &s), 0);
        assert_true(a.seq > 0);
        assert_int_equal(a.version, 1);
        assert_int_equal(s.count, 1);
        assert_int_equal(s.stars[3], 1);
        assert_int_equal(s.version, 1);
        assert_int_equal(store.ops->find(store.self, a.id, &got), 0);
        assert_string_equal(got.text, a.text);
        assert_string_equal(got.customer_id, "ann");
        assert_string_equal(got.seller_id, "shop-1");
        assert_int_equal(got.rating, 4);
        assert_int_equal(got.seq, a.seq);
        assert_int_equal(got.created_ms, a.created_ms);
        assert_false(got.hidden);
        assert_int_equal(got.answered_ms, 0);
        struct review dup = *new_review("b-read", "ann", 1);
        assert_int_equal(store.ops->insert(store.self, &dup, &s), -EEXIST);
        assert_int_equal(store.ops->find(store.self, dup.id, &got), -ENOENT);
        assert_int_equal(store.ops->summary(store.self, "b-read", &s), 0);
        assert_int_equal(s.count, 1);
        assert_int_equal(store.ops->summary(store.self, "b-none", &s), 0);
        assert_int_equal(s.count, 0);
        assert_int_equal(s.version, 0);
        if (use_mysql)
                assert_int_equal(outbox_rows(), 1);
}

static void changes_are_compare_and_sets_that_move_the_summary(void **state)
{
        (void)state;
        int64_t events = use_mysql ? outbox_rows() : 0;
        struct review a = *new_review("b-cas", "ann", 2), b = *new_review("b-cas", "bob", 5);
        struct rating_summary s;
        assert_int_equal(store.ops->insert(store.self, &a, &s), 0);
        assert_int_equal(store.ops->insert(store.self, &b, &s), 0);
        assert_int_equal(store.ops->mark_helpful(store.self, a.id, "bob", &a), 0);
        struct review before = a, after = a, got;
        after.rating = 3;
        after.hidden = true;
        snprintf(after.hidden_reason, sizeof(after.hidden_reason), "spoilers");
        assert_int_equal(store.ops->update(store.self, &before, &after, REVIEW_HIDDEN, &s), 0);
        assert_int_equal(after.version, 2);
        assert_int_equal(after.helpful, 1); /* the mark was kept */
        assert_int_equal(s.count, 1);       /* hidden: only bob's 5 */
        assert_int_equal(s.stars[1], 0);
        assert_int_equal(s.stars[4], 1);
        assert_int_equal(s.version, 3);
        /* a writer that read version 1 loses */
        struct review late = before;
        late.rating = 1;
        assert_int_equal(store.ops->update(store.self, &before, &late, REVIEW_UPDATED, &s),
                         -ESTALE);
        assert_int_equal(store.ops->remove(store.self, &before, &s), -ESTALE);
        assert_int_equal(store.ops->find(store.self, a.id, &got), 0);
        assert_int_equal(got.rating, 3);
        assert_true(got.hidden);
        assert_string_equal(got.hidden_reason, "spoilers");
        assert_int_equal(got.version, 2);
        assert_int_equal(store.ops->remove(store.self, &got, &s), 0);
        assert_int_equal(s.count, 1); /* it did not count: nothing moved */
        assert_int_equal(s.version, 3);
        assert_int_equal(store.ops->find(store.self, a.id, &got), -ENOENT);
        assert_int_equal(store.ops->update(store.self, &after, &after, REVIEW_UPDATED, &s),
                         -ENOENT);
        assert_int_equal(store.ops->remove(store.self, &b, &s), 0);
        assert_int_equal(s.count, 0);
        assert_int_equal(s.version, 4);
        if (use_mysql) /* two created, hidden, two deleted */
                assert_int_equal(outbox_rows(), events + 5);
}

static void marks_count_once(void **state)
{
        (void)state;
        struct review a = *new_review("b-mark", "ann", 5), got;
        struct rating_summary s;
        assert_int_equal(store.ops->insert(store.self, &a, &s), 0);
        assert_int_equal(store.ops->mark_helpful(store.self, a.id, "bob", &got), 0);
        assert_int_equal(got.helpful, 1);
        assert_int_equal(store.ops->mark_helpful(store.self, a.id, "bob", &got), -EEXIST);
        assert_int_equal(store.ops->mark_helpful(store.self, a.id, "cy", &got), 0);
        assert_int_equal(got.helpful, 2);
        assert_int_equal(store.ops->mark_helpful(store.self, "no-such-review", "cy", &got),
                         -ENOENT);
        assert_int_equal(store.ops->find(store.self, a.id, &got), 0);
        assert_int_equal(got.helpful, 2);
        assert_int_equal(got.version, 1); /* marks are not changes */
}

static size_t list(const struct review_query *q, struct review *out)
{
        size_t n = 99;
        assert_int_equal(store.ops->list(store.self, q, out, &n), 0);
        assert_true(n <= q->limit);
        return n;
}

static void listings_order_filter_and_page_alike(void **state)
{
        (void)state;
        char ids[4][37];
        const char *who[] = {"l-a", "l-b", "l-c", "l-d"};
        struct rating_summary s;
        for (int i = 0; i < 4; i++) {
                struct review *r = new_review("b-list", who[i], 3);
                memcpy(ids[i], r->id, sizeof(ids[i]));
                assert_int_equal(store.ops->insert(store.self, r, &s), 0);
        }
        struct review other = *new_review("b-other", "l-a", 3), got;
        assert_int_equal(store.ops->insert(store.self, &other, &s), 0);
        assert_int_equal(store.ops->mark_helpful(store.self, ids[0], "x", &got), 0);
        assert_int_equal(store.ops->mark_helpful(store.self, ids[0], "y", &got), 0);
        assert_int_equal(store.ops->mark_helpful(store.self, ids[2], "x", &got), 0);
        struct review hidden;
        assert_int_equal(store.ops->find(store.self, ids[1], &hidden), 0);
        struct review h = hidden;
        h.hidden = true;
        assert_int_equal(store.ops->update(store.self, &hidden, &h, REVIEW_HIDDEN, &s), 0);
        struct review out[8];
        struct review_query q = {.book_id = "b-list", .order = REVIEW_NEWEST, .limit = 8};
        assert_int_equal(list(&q, out), 4); /* admins: all */
        assert_string_equal(out[0].id, ids[3]);
        assert_string_equal(out[3].id, ids[0]);
        q.hidden_of = "";
        assert_int_equal(list(&q, out), 3);
        assert_string_equal(out[1].id, ids[2]);
        q.hidden_of = "l-b"; /* its author sees it */
        assert_int_equal(list(&q, out), 4);
        q = (struct review_query){
                .book_id = "b-list", .order = REVIEW_MOST_HELPFUL, .hidden_of = "", .limit = 2};
        assert_int_equal(list(&q, out), 2);
        assert_string_equal(out[0].id, ids[0]);
        assert_string_equal(out[1].id, ids[2]);
        q.after_helpful = out[1].helpful;
        q.after_seq = out[1].seq;
        assert_int_equal(list(&q, out), 1);
        assert_string_equal(out[0].id, ids[3]);
        q = (struct review_query){.book_id = "b-list", .order = REVIEW_NEWEST, .limit = 2};
        assert_int_equal(list(&q, out), 2);
        q.after_seq = out[1].seq;
        assert_int_equal(list(&q, out), 2);
        assert_string_equal(out[0].id, ids[1]);
        assert_string_equal(out[1].id, ids[0]);
        q.after_seq = out[1].seq;
        assert_int_equal(list(&q, out), 0);
}

/* A field added to struct review must be stored by both stores, generated
 * and compared below: then update the size. */
_Static_assert(sizeof(struct review) == 16496, "a review field was added or removed");

static void random_review_content(struct rnd *r, struct review *v)
{
        v->rating = (int)rnd_range(r, 1, 5);
        RND_TEXT(r, v->text);
        RND_TEXT(r, v->answer);
        v->answered_ms = rnd_time_ms(r);
        v->hidden = rnd_bool(r);
        RND_TEXT(r, v->hidden_reason);
        v->updated_ms = rnd_time_ms(r);
}

static void expect_same_review(const struct review *want, const struct review *got)
{
        assert_string_equal(got->id, want->id);
        assert_string_equal(got->book_id, want->book_id);
        assert_string_equal(got->customer_id, want->customer_id);
        assert_string_equal(got->seller_id, want->seller_id);
        assert_int_equal(got->rating, want->rating);
        assert_string_equal(got->text, want->text);
        assert_string_equal(got->answer, want->answer);
        assert_int_equal(got->answered_ms, want->answered_ms);
        assert_int_equal(got->hidden, want->hidden);
        assert_string_equal(got->hidden_reason, want->hidden_reason);
        assert_int_equal(got->helpful, 0); /* the store's: marks only */
        assert_int_equal(got->created_ms, want->created_ms);
        assert_int_equal(got->updated_ms, want->updated_ms);
        assert_int_equal(got->seq, want->seq);
        assert_int_equal(got->version, want->version);
}

/* Random valid reviews (every field set, empty and full-length texts)
 * inserted and updated read back field for field on both stores; an update
 * writes the review's content, never who wrote it about what. */
static void every_field_survives_insert_and_update(void **state)
{
        struct review *want = malloc(sizeof(*want)), *got = malloc(sizeof(*got));
        struct rating_summary sum;
        for (uint64_t seed = 1; seed <= 40; seed++) {
                struct rnd r = {seed};
                memset(want, 0, sizeof(*want));
                snprintf(want->id, sizeof(want->id), "0190bbbb-0000-7000-8000-%012llu",
                         (unsigned long long)seed);
                RND_ASCII(&r, want->book_id);
                snprintf(want->customer_id, sizeof(want->customer_id), "rt-%llu",
                         (unsigned long long)seed);
                RND_ASCII(&r, want->seller_id);
                random_review_content(&r, want);
                want->helpful = rnd_int64(&r); /* not the writer's to set */
                want->created_ms = rnd_time_ms(&r);
                assert_int_equal(store.ops->insert(store.self, want, &sum), 0);
                assert_int_equal(store.ops->find(store.self, want->id, got), 0);
                expect_same_review(want, got);

                struct review before = *got, *after = want;
                random_review_content(&r, after);
                RND_ASCII(&r, after->seller_id); /* none of these is the update's */
                after->created_ms = rnd_time_ms(&r);
                after->version = before.version;
                struct review sent = *after;
                assert_int_equal(
                        store.ops->update(store.self, &before, after, REVIEW_UPDATED, &sum), 0);
                assert_int_equal(store.ops->find(store.self, want->id, got), 0);
                sent.version = before.version + 1;
                snprintf(sent.seller_id, sizeof(sent.seller_id), "%s", before.seller_id);
                sent.created_ms = before.created_ms;
                sent.seq = before.seq;
                expect_same_review(&sent, got);
                expect_same_review(&sent, after); /* what update hands back is what is stored */
        }
        free(want);
        free(got);
}

int main(int argc, char **argv)
{
        use_mysql = argc > 1 && !strcmp(argv[1], "mysql");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_review_reads_back_and_is_one_per_customer_and_book),
                cmocka_unit_test(changes_are_compare_and_sets_that_move_the_summary),
                cmocka_unit_test(marks_count_once),
                cmocka_unit_test(listings_order_filter_and_page_alike),
                cmocka_unit_test(every_field_survives_insert_and_update),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
