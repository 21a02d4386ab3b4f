/* The review rules: what a review may say, who sees what, and how each
 * change moves the book's summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "review-errors.h"
#include "review-rules.h"

#include <string.h>

static bool near(double a, double b)
{
        return a - b < 1e-9 && b - a < 1e-9;
}

static void ratings_and_texts(void **state)
{
        (void)state;
        assert_false(review_rating_ok(0));
        assert_true(review_rating_ok(1));
        assert_true(review_rating_ok(5));
        assert_false(review_rating_ok(6));
        assert_false(review_rating_ok(-3));
        assert_true(review_text_ok("Gripping.\nRead it twice."));
        assert_false(review_text_ok(""));
        assert_false(review_text_ok(" \n\t "));      /* blank */
        assert_false(review_text_ok("bad \xc3("));   /* not UTF-8 */
        assert_false(review_text_ok("bell \x07 x")); /* a control character */
        char text[REVIEW_TEXT_MAX_CHARS * 2 + 3] = "";
        for (int i = 0; i < REVIEW_TEXT_MAX_CHARS; i++)
                strcat(text, "\xc3\xa9"); /* 2000 characters in 4000 bytes */
        assert_true(review_text_ok(text));
        strcat(text, "x");
        assert_false(review_text_ok(text));
}

static void the_summary_moves_with_each_change(void **state)
{
        (void)state;
        struct rating_summary s = {0};
        rating_move(&s, 0, 5); /* created */
        rating_move(&s, 0, 3);
        rating_move(&s, 0, 4);
        assert_int_equal(s.count, 3);
        assert_true(near(rating_average(&s), 4.0));
        rating_move(&s, 3, 1); /* edited */
        assert_int_equal(s.stars[2], 0);
        assert_int_equal(s.stars[0], 1);
        assert_true(near(rating_average(&s), 10.0 / 3.0));
        rating_move(&s, 5, 0); /* hidden or deleted */
        assert_int_equal(s.count, 2);
        assert_int_equal(s.stars[4], 0);
        int64_t v = s.version;
        rating_move(&s, 4, 4); /* answered: no change, no new version */
        assert_int_equal(s.version, v);
        assert_int_equal(v, 5);
        struct rating_summary none = {0};
        assert_true(rating_average(&none) == 0);
}

static void hidden_reviews_and_their_reasons(void **state)
{
        (void)state;
        struct review r = {
                .customer_id = "ann", .rating = 2, .hidden = true, .hidden_reason = "spam"};
        struct review_caller author = {"ann", ROLE_CUSTOMER, NULL};
        struct review_caller other = {"bob", ROLE_CUSTOMER, NULL};
        struct review_caller anon = {"", 0, NULL};
        struct review_caller admin = {"root", ROLE_ADMIN, NULL};
        assert_int_equal(review_counted(&r), 0);
        assert_true(review_visible_to(&r, &author));
        assert_true(review_visible_to(&r, &admin));
        assert_false(review_visible_to(&r, &other));
        assert_false(review_visible_to(&r, &anon));
        struct review copy = r;
        review_redact_for(&copy, &admin);
        assert_string_equal(copy.hidden_reason, "spam");
        review_redact_for(&copy, &author);
        assert_string_equal(copy.hidden_reason, "spam");
        r.hidden = false;
        assert_int_equal(review_counted(&r), 2);
        assert_true(review_visible_to(&r, &anon));
        review_redact_for(&r, &other);
        assert_string_equal(r.hidden_reason, "");
        assert_int_equal(review_counted(NULL), 0);
        struct review_caller nobody = {"", 0, NULL};
        struct review empty_author = {.customer_id = ""};
        assert_false(review_is_author(&empty_author, &nobody)); /* "" is nobody */
}

static void every_error_has_a_message(void **state)
{
        (void)state;
        for (int c = RE_FIRST + 1; c < RE_ORDERS_UNAVAILABLE + 1; c++)
                assert_non_null(review_error_message(c));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(ratings_and_texts),
                cmocka_unit_test(the_summary_moves_with_each_change),
                cmocka_unit_test(hidden_reviews_and_their_reasons),
                cmocka_unit_test(every_error_has_a_message),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
