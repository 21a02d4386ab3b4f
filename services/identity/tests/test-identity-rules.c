/* Identity domain rules, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "identity-errors.h"
#include "identity-rules.h"

#include <string.h>

static void emails_are_normalized_and_validated(void **state)
{
        char out[256];
        assert_int_equal(
                identity_normalize_email("  Alice.Smith+books@Example.COM ", out, sizeof(out)),
                IDE_OK);
        assert_string_equal(out, "alice.smith+books@example.com");
        const char *bad[] = {"",
                             "alice",
                             "alice@",
                             "@example.com",
                             "alice@example",
                             "a@b@example.com",
                             "alice@-example.com",
                             "alice@example..com",
                             ".alice@example.com",
                             "al..ice@example.com",
                             "alice@example.com.",
                             "al ice@example.com",
                             "alice@exa_mple.com"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                assert_int_equal(identity_normalize_email(bad[i], out, sizeof(out)),
                                 IDE_EMAIL_INVALID);
        char long_local[80];
        memset(long_local, 'a', 65);
        strcpy(long_local + 65, "@example.com");
        assert_int_equal(identity_normalize_email(long_local, out, sizeof(out)), IDE_EMAIL_INVALID);
}

static void password_policy(void **state)
{
        assert_int_equal(identity_check_password("correct horse"), IDE_OK);
        assert_int_equal(identity_check_password("abcdefghi1"), IDE_OK);
        assert_int_equal(identity_check_password("pässwörter1"), IDE_OK);
        assert_int_equal(identity_check_password("short1"), IDE_PASSWORD_WEAK);
        assert_int_equal(identity_check_password("onlyletters"), IDE_PASSWORD_WEAK);
        assert_int_equal(identity_check_password("1234567890"), IDE_PASSWORD_WEAK);
        char huge[200];
        memset(huge, 'a', 129);
        huge[0] = '1';
        huge[129] = '\0';
        assert_int_equal(identity_check_password(huge), IDE_PASSWORD_WEAK);
        /* 10 characters but only 9 code points */
        assert_int_equal(identity_check_password("abcdefgh\xc3\xa9"), IDE_PASSWORD_WEAK);
}

static void display_names(void **state)
{
        char out[512];
        assert_int_equal(identity_normalize_display_name("  Zoë Müller  ", out, sizeof(out)),
                         IDE_OK);
        assert_string_equal(out, "Zoë Müller");
        assert_int_equal(identity_normalize_display_name("   ", out, sizeof(out)),
                         IDE_DISPLAY_NAME_INVALID);
        assert_int_equal(identity_normalize_display_name("tab\tname", out, sizeof(out)),
                         IDE_DISPLAY_NAME_INVALID);
}

static void addresses(void **state)
{
        struct identity_address a = {.recipient = "Ada",
                                     .line1 = "1 Main St",
                                     .city = "Berlin",
                                     .postal_code = "10115",
                                     .country_code = "de"};
        assert_int_equal(identity_check_address(&a), IDE_OK);
        assert_string_equal(a.country_code, "DE");
        a.city[0] = '\0';
        assert_int_equal(identity_check_address(&a), IDE_ADDRESS_INVALID);
        strcpy(a.city, "Berlin");
        strcpy(a.line2, "bad\nline");
        assert_int_equal(identity_check_address(&a), IDE_ADDRESS_INVALID);
        a.line2[0] = '\0';
        strcpy(a.country_code, "D1");
        assert_int_equal(identity_check_address(&a), IDE_ADDRESS_INVALID);
}

static void refresh_rotation_and_reuse(void **state)
{
        assert_int_equal(identity_refresh_decide(REFRESH_ACTIVE, 1000, 999), REFRESH_ROTATE);
        assert_int_equal(identity_refresh_decide(REFRESH_ACTIVE, 1000, 1000), REFRESH_REFUSE);
        assert_int_equal(identity_refresh_decide(REFRESH_ROTATED, 1000, 10),
                         REFRESH_REUSE_DETECTED);
        assert_int_equal(identity_refresh_decide(REFRESH_REVOKED, 1000, 10), REFRESH_REFUSE);
}

static void login_delays_double_from_the_free_failures_to_the_cap(void **state)
{
        const struct identity_throttle t = {.free = 3, .base_ms = 1000, .max_ms = 8000};
        assert_int_equal(identity_login_wait_ms(&t, 2, 5000, 5000), 0);
        assert_int_equal(identity_login_wait_ms(&t, 3, 5000, 5000), 1000);
        assert_int_equal(identity_login_wait_ms(&t, 3, 5000, 5600), 400);
        assert_int_equal(identity_login_wait_ms(&t, 3, 5000, 6000), 0);
        assert_int_equal(identity_login_wait_ms(&t, 4, 5000, 5000), 2000);
        assert_int_equal(identity_login_wait_ms(&t, 6, 5000, 5000), 8000);
        assert_int_equal(identity_login_wait_ms(&t, 1000000, 5000, 5000), 8000); /* no overflow */
}

static void every_error_has_a_message_and_kind(void **state)
{
        enum error_kind kind;
        for (int code = IDE_FIRST + 1; code <= IDE_LOGIN_DELAYED; code++) {
                assert_non_null(identity_error_message(code));
                assert_int_equal(identity_error_kind(code, &kind), 0);
        }
        assert_int_equal(identity_error_kind(IDE_ADDRESS_LIMIT, &kind), 0);
        assert_int_equal(kind, ERROR_PRECONDITION);
        assert_null(identity_error_message(-5));
        assert_null(identity_error_message(IDE_LOGIN_DELAYED + 1)); /* the last one */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(emails_are_normalized_and_validated),
                cmocka_unit_test(password_policy),
                cmocka_unit_test(login_delays_double_from_the_free_failures_to_the_cap),
                cmocka_unit_test(display_names),
                cmocka_unit_test(addresses),
                cmocka_unit_test(refresh_rotation_and_reuse),
                cmocka_unit_test(every_error_has_a_message_and_kind),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
