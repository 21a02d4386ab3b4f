/* The review use cases on the memory adapters: who may review (only after a
 * delivery, once per book), edit, delete, answer (the seller, once), hide
 * (admins), mark helpful; the summary each change publishes; listings in
 * both orders, paged while reviews are added. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "review-app.h"
#include "review-memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct review_memory_store store;
static struct review_memory_orders orders;
static struct core_env_fake clock_;
static struct review_app app;

static const struct review_caller ann = {"ann", ROLE_CUSTOMER, "Bearer ann"};
static const struct review_caller bob = {"bob", ROLE_CUSTOMER, "Bearer bob"};
static const struct review_caller seller = {"shop-1", ROLE_SELLER, "Bearer shop-1"};
static const struct review_caller other_seller = {"shop-2", ROLE_SELLER, "Bearer shop-2"};
static const struct review_caller admin = {"root", ROLE_ADMIN, "Bearer root"};
static const struct review_caller anon = {"", 0, NULL};

static void deliver(const struct review_caller *who, const char *book)
{
        size_t i = orders.n++;
        snprintf(orders.delivered[i].authorization, sizeof(orders.delivered[i].authorization), "%s",
                 who->authorization);
        snprintf(orders.delivered[i].book_id, sizeof(orders.delivered[i].book_id), "%s", book);
        snprintf(orders.delivered[i].seller_id, sizeof(orders.delivered[i].seller_id), "shop-1");
}

static int setup(void **state)
{
        (void)state;
        review_memory_store_init(&store);
        memset(&orders, 0, sizeof(orders));
        clock_ = (struct core_env_fake){.now_ms = 1700000000000};
        app = (struct review_app){.store = review_store_memory(&store),
                                  .orders = review_orders_memory(&orders),
                                  .env = core_env_fake(&clock_)};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        review_memory_store_free(&store);
        return 0;
}

static const struct review_memory_event *last_event(void)
{
        assert_true(store.n_events > 0);
        return &store.events[store.n_events - 1];
}

static void only_a_customer_who_received_the_book_reviews_it_once(void **state)
{
        (void)state;
        struct review r;
        assert_int_equal(review_create(&app, &ann, "book-1", 5, "Loved it", &r), RE_NOT_RECEIVED);
        assert_int_equal(store.n_events, 0);
        deliver(&ann, "book-1");
        orders.fail = -ECONNREFUSED;
        assert_int_equal(review_create(&app, &ann, "book-1", 5, "Loved it", &r),
                         RE_ORDERS_UNAVAILABLE);
        orders.fail = 0;
        assert_int_equal(review_create(&app, &ann, "book-1", 0, "Loved it", &r), RE_RATING_INVALID);
        assert_int_equal(review_create(&app, &ann, "book-1", 5, "", &r), RE_TEXT_INVALID);
        assert_int_equal(review_create(&app, &ann, "", 5, "Loved it", &r), RE_BOOK_ID_INVALID);
        assert_int_equal(review_create(&app, &ann, "book-1", 5, "Loved it", &r), RE_OK);
        assert_string_equal(r.customer_id, "ann");
        assert_string_equal(r.seller_id, "shop-1");
        assert_int_equal(r.created_ms, 1700000000000);
        assert_int_equal(last_event()->change, REVIEW_CREATED);
        assert_int_equal(last_event()->summary.count, 1);
        assert_int_equal(last_event()->summary.stars[4], 1);
        struct review again;
        assert_int_equal(review_create(&app, &ann, "book-1", 4, "Second thoughts", &again),
                         RE_ALREADY_REVIEWED);
        assert_int_equal(store.n_events, 1);
        /* another customer's delivery does not count for bob */
        assert_int_equal(review_create(&app, &bob, "book-1", 1, "Meh", &again), RE_NOT_RECEIVED);
}

static void the_author_edits_and_deletes_others_cannot(void **state)
{
        (void)state;
        deliver(&ann, "book-2");
        deliver(&bob, "book-2");
        struct review a, b, got;
        assert_int_equal(review_create(&app, &ann, "book-2", 2, "Slow start", &a), RE_OK);
        assert_int_equal(review_create(&app, &bob, "book-2", 4, "Good", &b), RE_OK);
        clock_.now_ms += 1000;
        assert_int_equal(review_update(&app, &bob, a.id, 1, "hijack", &got), RE_NOT_AUTHOR);
        assert_int_equal(review_update(&app, &ann, a.id, 9, "x", &got), RE_RATING_INVALID);
        assert_int_equal(review_update(&app, &ann, a.id, 4, "It grew on me", &got), RE_OK);
        assert_int_equal(got.rating, 4);
        assert_string_equal(got.text, "It grew on me");
        assert_int_equal(got.updated_ms, a.created_ms + 1000);
        assert_int_equal(got.version, 2);
        struct rating_summary s;
        assert_int_equal(review_rating(&app, "book-2", &s), RE_OK);
        assert_int_equal(s.count, 2);
        assert_int_equal(s.stars[1], 0);
        assert_int_equal(s.stars[3], 2);
        assert_int_equal(last_event()->change, REVIEW_UPDATED);
        assert_int_equal(review_delete(&app, &bob, a.id), RE_NOT_AUTHOR);
        assert_int_equal(review_delete(&app, &ann, a.id), RE_OK);
        assert_int_equal(review_get(&app, &ann, a.id, &got), RE_REVIEW_NOT_FOUND);
        assert_int_equal(review_delete(&app, &ann, a.id), RE_REVIEW_NOT_FOUND);
        assert_int_equal(last_event()->change, REVIEW_DELETED);
        assert_int_equal(last_event()->summary.count, 1);
        assert_int_equal(last_event()->summary.stars[3], 1);
        /* deleted: ann may review the book again */
        assert_int_equal(review_create(&app, &ann, "book-2", 3, "Fair", &a), RE_OK);
}

static void the_seller_answers_once(void **state)
{
        (void)state;
        deliver(&ann, "book-3");
        struct review r, got;
        assert_int_equal(review_create(&app, &ann, "book-3", 3, "Fine", &r), RE_OK);
        size_t events = store.n_events;
        assert_int_equal(review_answer(&app, &other_seller, r.id, "Thanks", &got), RE_NOT_SELLER);
        assert_int_equal(review_answer(&app, &ann, r.id, "Thanks", &got), RE_NOT_SELLER);
        assert_int_equal(review_answer(&app, &seller, r.id, "", &got), RE_ANSWER_INVALID);
        assert_int_equal(review_answer(&app, &seller, r.id, "Thanks for reading", &got), RE_OK);
        assert_string_equal(got.answer, "Thanks for reading");
        assert_true(got.answered_ms > 0);
        assert_int_equal(review_answer(&app, &seller, r.id, "Again", &got), RE_ALREADY_ANSWERED);
        assert_int_equal(store.n_events, events + 1);
        assert_int_equal(last_event()->change, REVIEW_ANSWERED);
        assert_int_equal(last_event()->summary.count, 1); /* the summary did not move */
}

static void admins_hide_and_the_summary_leaves_it_out(void **state)
{
        (void)state;
        deliver(&ann, "book-4");
        deliver(&bob, "book-4");
        struct review a, b, got;
        assert_int_equal(review_create(&app, &ann, "book-4", 1, "Rubbish, buy elsewhere", &a),
                         RE_OK);
        assert_int_equal(review_create(&app, &bob, "book-4", 5, "Great", &b), RE_OK);
        assert_int_equal(review_hide(&app, &bob, a.id, "abuse", &got), RE_NOT_ADMIN);
        assert_int_equal(review_hide(&app, &admin, a.id, "", &got), RE_REASON_INVALID);
        assert_int_equal(review_hide(&app, &admin, a.id, "two\nlines", &got), RE_REASON_INVALID);
        assert_int_equal(review_hide(&app, &admin, a.id, "advertises another shop", &got), RE_OK);
        assert_true(got.hidden);
        assert_int_equal(last_event()->change, REVIEW_HIDDEN);
        assert_int_equal(last_event()->summary.count, 1);
        assert_int_equal(last_event()->summary.stars[0], 0);
        size_t events = store.n_events;
        assert_int_equal(review_hide(&app, &admin, a.id, "again", &got), RE_OK); /* no change */
        assert_int_equal(store.n_events, events);
        assert_string_equal(got.hidden_reason, "advertises another shop");
        /* others do not find it; its author does, with the reason */
        assert_int_equal(review_get(&app, &bob, a.id, &got), RE_REVIEW_NOT_FOUND);
        assert_int_equal(review_get(&app, &anon, a.id, &got), RE_REVIEW_NOT_FOUND);
        assert_int_equal(review_mark_helpful(&app, &bob, a.id, &got), RE_REVIEW_NOT_FOUND);
        assert_int_equal(review_get(&app, &ann, a.id, &got), RE_OK);
        assert_string_equal(got.hidden_reason, "advertises another shop");
        struct review list[REVIEW_PAGE_MAX + 1];
        size_t n;
        char next[48];
        assert_int_equal(review_list(&app, &bob, "book-4", 0, 10, "", list, &n, next), RE_OK);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].id, b.id);
        assert_int_equal(review_list(&app, &ann, "book-4", 0, 10, "", list, &n, next), RE_OK);
        assert_int_equal(n, 2);
        assert_int_equal(review_list(&app, &admin, "book-4", 0, 10, "", list, &n, next), RE_OK);
        assert_int_equal(n, 2);
        /* editing a hidden review keeps it hidden and out of the summary */
        assert_int_equal(review_update(&app, &ann, a.id, 2, "Edited", &got), RE_OK);
        assert_true(got.hidden);
        struct rating_summary s;
        assert_int_equal(review_rating(&app, "book-4", &s), RE_OK);
        assert_int_equal(s.count, 1);
        assert_int_equal(review_unhide(&app, &admin, a.id, &got), RE_OK);
        assert_false(got.hidden);
        assert_int_equal(review_rating(&app, "book-4", &s), RE_OK);
        assert_int_equal(s.count, 2);
        assert_int_equal(s.stars[1], 1);
        assert_int_equal(last_event()->change, REVIEW_UNHIDDEN);
}

static void helpful_marks_count_once_and_not_the_authors(void **state)
{
        (void)state;
        deliver(&ann, "book-5");
        struct review r, got;
        assert_int_equal(review_create(&app, &ann, "book-5", 4, "Useful", &r), RE_OK);
        size_t events = store.n_events;
        assert_int_equal(review_mark_helpful(&app, &ann, r.id, &got), RE_OWN_REVIEW);
        assert_int_equal(review_mark_helpful(&app, &bob, r.id, &got), RE_OK);
        assert_int_equal(got.helpful, 1);
        assert_int_equal(review_mark_helpful(&app, &bob, r.id, &got), RE_OK); /* a retry */
        assert_int_equal(got.helpful, 1);
        assert_int_equal(review_mark_helpful(&app, &seller, r.id, &got), RE_OK);
        assert_int_equal(got.helpful, 2);
        assert_int_equal(store.n_events, events); /* marks publish nothing */
        /* an edit keeps the marks */
        assert_int_equal(review_update(&app, &ann, r.id, 5, "Very useful", &got), RE_OK);
        assert_int_equal(got.helpful, 2);
}

/* Pages of two while reviews are added: every review there at the start is
 * seen exactly once, in the order asked for. */
static void listings_page_in_both_orders_under_inserts(void **state)
{
        (void)state;
        struct review_caller buyers[8];
        char names[8][16], tokens[8][32];
        struct review made[8];
        for (int i = 0; i < 8; i++) {
                snprintf(names[i], sizeof(names[i]), "buyer-%d", i);
                snprintf(tokens[i], sizeof(tokens[i]), "Bearer buyer-%d", i);
                buyers[i] = (struct review_caller){names[i], ROLE_CUSTOMER, tokens[i]};
                deliver(&buyers[i], "book-6");
        }
        for (int i = 0; i < 5; i++) {
                clock_.now_ms += 10;
                assert_int_equal(
                        review_create(&app, &buyers[i], "book-6", 1 + i % 5, "Text", &made[i]),
                        RE_OK);
        }
        struct review got;
        /* helpful marks: review 1 has 2, review 3 has 1 */
        assert_int_equal(review_mark_helpful(&app, &ann, made[1].id, &got), RE_OK);
        assert_int_equal(review_mark_helpful(&app, &bob, made[1].id, &got), RE_OK);
        assert_int_equal(review_mark_helpful(&app, &ann, made[3].id, &got), RE_OK);
        const int newest[] = {4, 3, 2, 1, 0}, helpful[] = {1, 3, 4, 2, 0};
        for (int order = REVIEW_NEWEST; order <= REVIEW_MOST_HELPFUL; order++) {
                const int *want = order == REVIEW_NEWEST ? newest : helpful;
                struct review page[REVIEW_PAGE_MAX + 1];
                char token[48] = "", next[48];
                size_t n, seen = 0;
                int added = 0, late_seen = 0;
                do {
                        assert_int_equal(
                                review_list(&app, &anon, "book-6", order, 2, token, page, &n, next),
                                RE_OK);
                        for (size_t i = 0; i < n; i++) {
                                if (added && !strcmp(page[i].id, made[5 + (order - 1)].id)) {
                                        /* most helpful: a new unmarked review sorts
                                         * after the marked ones, so it may show up
                                         * (once); newest first: it never does */
                                        assert_int_equal(order, REVIEW_MOST_HELPFUL);
                                        late_seen++;
                                        continue;
                                }
                                assert_string_equal(page[i].id, made[want[seen++]].id);
                        }
                        if (added < 1) { /* a newer review, written while paging */
                                int who = 5 + (order - 1);
                                assert_int_equal(review_create(&app, &buyers[who], "book-6", 3,
                                                               "Late", &made[who]),
                                                 RE_OK);
                                added++;
                        }
                        snprintf(token, sizeof(token), "%s", next);
                } while (*token);
                assert_int_equal(seen, 5);
                assert_int_equal(late_seen, order == REVIEW_MOST_HELPFUL);
                assert_int_equal(review_list(&app, &anon, "book-6", order, 2,
                                             order == REVIEW_NEWEST ? "h1.2" : "n7", page, &n,
                                             next),
                                 RE_PAGE_TOKEN_INVALID);
                /* the late review leads the next listing from the start */
                assert_int_equal(
                        review_delete(&app, &buyers[5 + (order - 1)], made[5 + (order - 1)].id),
                        RE_OK);
        }
        struct review page[REVIEW_PAGE_MAX + 1];
        size_t n;
        char next[48];
        assert_int_equal(review_list(&app, &anon, "book-6", 7, 2, "", page, &n, next),
                         RE_ORDER_INVALID);
        assert_int_equal(review_list(&app, &anon, "no-such-book", 0, 2, "", page, &n, next), RE_OK);
        assert_int_equal(n, 0);
        assert_string_equal(next, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(
                        only_a_customer_who_received_the_book_reviews_it_once, setup, teardown),
                cmocka_unit_test_setup_teardown(the_author_edits_and_deletes_others_cannot, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(the_seller_answers_once, setup, teardown),
                cmocka_unit_test_setup_teardown(admins_hide_and_the_summary_leaves_it_out, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(helpful_marks_count_once_and_not_the_authors, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(listings_page_in_both_orders_under_inserts, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
