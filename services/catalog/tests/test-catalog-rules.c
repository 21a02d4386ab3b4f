/* Catalog domain rules, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "catalog-errors.h"
#include "catalog-rules.h"

#include <string.h>

static void isbn13_checksums(void **state)
{
        char out[14];
        assert_int_equal(catalog_normalize_isbn13("978-0-14-044913-6", out), CE_OK);
        assert_string_equal(out, "9780140449136");
        assert_int_equal(catalog_normalize_isbn13("9780306406157", out), CE_OK);
        assert_int_equal(catalog_normalize_isbn13("9780306406158", out), CE_ISBN_INVALID);
        assert_int_equal(catalog_normalize_isbn13("978030640615", out), CE_ISBN_INVALID);
        assert_int_equal(catalog_normalize_isbn13("97803064061577", out), CE_ISBN_INVALID);
        assert_int_equal(catalog_normalize_isbn13("978030640615X", out), CE_ISBN_INVALID);
}

static void lifecycle_transitions(void **state)
{
        char why[256];
        assert_int_equal(catalog_check_transition(BOOK_REGISTERED, BOOK_ON_SALE, why, sizeof(why)),
                         CE_OK);
        assert_int_equal(catalog_check_transition(BOOK_ON_SALE, BOOK_SOLD_OUT, why, sizeof(why)),
                         CE_OK);
        assert_int_equal(catalog_check_transition(BOOK_SOLD_OUT, BOOK_ON_SALE, why, sizeof(why)),
                         CE_OK);
        for (int s = BOOK_REGISTERED; s <= BOOK_SOLD_OUT; s++)
                assert_int_equal(catalog_check_transition(s, BOOK_UNLISTED, why, sizeof(why)),
                                 CE_OK);
        assert_int_equal(catalog_check_transition(BOOK_REGISTERED, BOOK_SOLD_OUT, why, sizeof(why)),
                         CE_TRANSITION);
        assert_string_equal(why, "BOOK_STATUS_REGISTERED -> BOOK_STATUS_SOLD_OUT is not allowed; "
                                 "from BOOK_STATUS_REGISTERED the allowed changes are: "
                                 "BOOK_STATUS_ON_SALE BOOK_STATUS_UNLISTED");
        assert_int_equal(catalog_check_transition(BOOK_UNLISTED, BOOK_ON_SALE, why, sizeof(why)),
                         CE_TRANSITION);
        assert_non_null(strstr(why, "it is final"));
        assert_int_equal(catalog_check_transition(BOOK_ON_SALE, 0, why, sizeof(why)),
                         CE_TRANSITION);
}

/* Every (from, to) pair against a matrix written here; staying put is not a
 * move for a book (the caller asked for a change). */
static void prices_have_an_upper_bound(void **state)
{
        struct catalog_money below = {"EUR", CATALOG_MAX_PRICE_UNITS - 1, 999999999};
        struct catalog_money at = {"EUR", CATALOG_MAX_PRICE_UNITS, 0};
        struct catalog_money max = {"EUR", INT64_MAX, 0};
        assert_int_equal(catalog_check_price(&below), CE_OK);
        assert_int_equal(catalog_check_price(&at), CE_PRICE_INVALID);
        assert_int_equal(catalog_check_price(&max), CE_PRICE_INVALID);
        assert_non_null(strstr(catalog_error_message(CE_PRICE_INVALID), "1000000000"));
}

static void every_status_pair(void **state)
{
        enum { G = BOOK_REGISTERED, S = BOOK_ON_SALE, O = BOOK_SOLD_OUT, U = BOOK_UNLISTED };
        static const unsigned allowed[] = {
                [G] = 1u << S | 1u << U,
                [S] = 1u << O | 1u << U,
                [O] = 1u << S | 1u << U,
                [U] = 0,
        };
        char why[256];
        for (int from = G; from <= U; from++)
                for (int to = G; to <= U; to++) {
                        bool ok = allowed[from] & 1u << to;
                        int r = catalog_check_transition(from, to, why, sizeof(why));
                        if (r != (ok ? CE_OK : CE_TRANSITION))
                                fail_msg("%s -> %s: got %d", catalog_status_name(from),
                                         catalog_status_name(to), r);
                }
}

static void prices_and_texts(void **state)
{
        struct catalog_money m = {.currency = "EUR", .units = 12, .nanos = 990000000};
        assert_int_equal(catalog_check_price(&m), CE_OK);
        m.units = 0;
        m.nanos = 0;
        assert_int_equal(catalog_check_price(&m), CE_PRICE_INVALID);
        m.units = -1;
        assert_int_equal(catalog_check_price(&m), CE_PRICE_INVALID);
        struct catalog_money lower = {.currency = "eur", .units = 1};
        assert_int_equal(catalog_check_price(&lower), CE_PRICE_INVALID);
        char joined[512];
        const char *names[] = {"Ursula K. Le Guin", "Anon"};
        assert_int_equal(catalog_join_authors(names, 2, joined, sizeof(joined)), CE_OK);
        assert_string_equal(joined, "Ursula K. Le Guin\x1f"
                                    "Anon");
        const char *bad[] = {"ok", "  "};
        assert_int_equal(catalog_join_authors(bad, 2, joined, sizeof(joined)), CE_AUTHORS_INVALID);
        assert_int_equal(catalog_join_authors(names, 0, joined, sizeof(joined)),
                         CE_AUTHORS_INVALID);
        assert_int_equal(catalog_check_title("Dune"), CE_OK);
        assert_int_equal(catalog_check_title(""), CE_TITLE_INVALID);
        assert_int_equal(catalog_check_description("line one\nline two"), CE_OK);
        assert_int_equal(catalog_check_description("bell\a"), CE_DESCRIPTION_INVALID);
}

static void who_sees_and_edits(void **state)
{
        struct catalog_book b = {.status = BOOK_REGISTERED, .seller_id = "s1"};
        struct catalog_caller anon = {0}, owner = {"s1", ROLE_SELLER}, other = {"s2", ROLE_SELLER},
                              admin = {"a", ROLE_ADMIN}, customer_s1 = {"s1", ROLE_CUSTOMER};
        assert_false(catalog_can_view(&b, &anon));
        assert_false(catalog_can_view(&b, &other));
        assert_false(catalog_can_view(&b, &customer_s1)); /* same id, not a seller */
        assert_true(catalog_can_view(&b, &owner));
        assert_true(catalog_can_view(&b, &admin));
        b.status = BOOK_SOLD_OUT;
        assert_true(catalog_can_view(&b, &anon));
        assert_false(catalog_can_edit(&b, &other));
        assert_true(catalog_can_edit(&b, &owner));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(isbn13_checksums),  cmocka_unit_test(lifecycle_transitions),
                cmocka_unit_test(every_status_pair), cmocka_unit_test(prices_have_an_upper_bound),
                cmocka_unit_test(prices_and_texts),  cmocka_unit_test(who_sees_and_edits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
