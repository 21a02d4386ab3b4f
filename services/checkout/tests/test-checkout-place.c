/* PlaceOrder's request rules, at the use case (checkout_place) on the memory
 * saga store: a card number is refused before anything is stored (the rule
 * payment applies, core/payment-token.h), and a repeat with the same key
 * answers with the first saga only when it asks for the same checkout --
 * books, token and shipping address (saved or inline) alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "checkout-app.h"
#include "checkout-errors.h"
#include "checkout-store-memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct core_env_fake fake;
static struct checkout_memory_store mem;
static struct checkout_app app;
static const struct checkout_caller buyer = {.subject = "cust-1", .role = ROLE_CUSTOMER};
static const struct checkout_item books[] = {{.book_id = "book-1", .quantity = 2}};
static const struct checkout_address home = {.recipient = "Ada",
                                             .line1 = "1 Main St",
                                             .city = "Springfield",
                                             .postal_code = "12345",
                                             .country_code = "US"};
static const struct checkout_wait no_wait = {0};

static int saved_address(void *self, const char *address_id, const char *authorization,
                         struct checkout_address *ret)
{
        if (strncmp(address_id, "addr-", 5))
                return -ENOENT;
        *ret = home;
        if (!strcmp(address_id, "addr-2")) /* somewhere else */
                snprintf(ret->line1, sizeof(ret->line1), "9 Far Away Rd");
        return 0;
}

static int order_of(void *self, const char *order_id, const char *authorization,
                    struct checkout_order_view *ret)
{
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->customer_id, sizeof(ret->customer_id), "%s", buyer.subject);
        ret->status = CHECKOUT_ORDER_CONFIRMED;
        return 0;
}

static const struct checkout_participants_ops peers = {.saved_address = saved_address,
                                                       .order_of = order_of};

static int setup(void **state)
{
        fake = (struct core_env_fake){.now_ms = 1000000, .rng = 7};
        struct core_env env = core_env_fake(&fake);
        checkout_memory_store_init(&mem, env);
        app = (struct checkout_app){.store = checkout_store_memory(&mem),
                                    .peers = {.ops = &peers},
                                    .env = env,
                                    .cfg = {.owner = "me", .lease_ms = 60000}};
        return 0;
}

static int teardown(void **state)
{
        checkout_memory_store_free(&mem);
        return 0;
}

/* The first PlaceOrder of a key, stored as checkout_place stores it (no
 * runner here: the saga is only inserted). */
static void first_checkout(const char *key, const char *address_id,
                           const struct checkout_address *inline_address)
{
        struct checkout_saga s = {.kind = CHECKOUT_KIND_CHECKOUT, .n_items = 1};
        snprintf(s.customer_id, sizeof(s.customer_id), "%s", buyer.subject);
        snprintf(s.idempotency_key, sizeof(s.idempotency_key), "%s", key);
        snprintf(s.payment_token, sizeof(s.payment_token), "tok_ok");
        snprintf(s.address_id, sizeof(s.address_id), "%s", address_id);
        s.address = inline_address ? *inline_address : home;
        s.items[0] = books[0];
        assert_int_equal(checkout_saga_insert(&app, &s), 0);
}

static int place(const char *key, const char *token, const char *address_id,
                 const struct checkout_address *inline_address, struct checkout_saga *ret)
{
        struct checkout_place_request req = {.items = books,
                                             .n_items = 1,
                                             .shipping_address_id = address_id,
                                             .inline_address = inline_address,
                                             .payment_token = token,
                                             .idempotency_key = key};
        return checkout_place(&app, &buyer, &req, &no_wait, ret);
}

static size_t sagas_stored(void)
{
        return mem.n;
}

static void a_card_number_is_refused_before_anything_is_stored(void **state)
{
        struct checkout_saga s;
        const char *cards[] = {"4111111111111111", "4111 1111 1111 1111",
                               "tok_4111-1111-1111-1111"};
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(place("k-card", cards[i], "", &home, &s), CE_CARD_NUMBER);
        assert_int_equal(place("k-card", "tok ok", "", &home, &s), CE_TOKEN_INVALID);
        assert_int_equal(sagas_stored(), 0);
}

static void a_repeat_with_another_inline_address_is_a_reused_key(void **state)
{
        struct checkout_saga s;
        first_checkout("k-inline", "", &home);
        struct checkout_address same = home, elsewhere = home;
        same.country_code[0] = 'u'; /* normalised the same */
        assert_int_equal(place("k-inline", "tok_ok", "", &same, &s), CE_OK);
        assert_string_equal(s.idempotency_key, "k-inline");
        snprintf(elsewhere.line1, sizeof(elsewhere.line1), "2 Other Rd");
        assert_int_equal(place("k-inline", "tok_ok", "", &elsewhere, &s), CE_KEY_REUSED);
        assert_int_equal(place("k-inline", "tok_ok", "addr-2", NULL, &s), CE_KEY_REUSED);
        assert_int_equal(sagas_stored(), 1);
}

static void a_repeat_with_another_saved_address_is_a_reused_key(void **state)
{
        struct checkout_saga s;
        first_checkout("k-saved", "addr-1", NULL);
        assert_int_equal(place("k-saved", "tok_ok", "addr-1", NULL, &s), CE_OK);
        assert_int_equal(place("k-saved", "tok_ok", "addr-2", NULL, &s), CE_KEY_REUSED);
        /* the same lines given inline are another request: the key was for the saved one */
        assert_int_equal(place("k-saved", "tok_ok", "", &home, &s), CE_KEY_REUSED);
        assert_int_equal(sagas_stored(), 1);
}

/* Confirm marks the order CONFIRMED, then the saga records its end: a
 * cancellation in between would restock what confirm is still committing. */
static void a_cancellation_waits_for_the_orders_checkout_to_finish(void **state)
{
        struct checkout_saga s = {.kind = CHECKOUT_KIND_CHECKOUT, .n_items = 1};
        snprintf(s.customer_id, sizeof(s.customer_id), "%s", buyer.subject);
        snprintf(s.idempotency_key, sizeof(s.idempotency_key), "k-unfinished");
        snprintf(s.order_id, sizeof(s.order_id), "order-1");
        s.items[0] = books[0];
        assert_int_equal(checkout_saga_insert(&app, &s), 0); /* RUNNING: confirm not recorded */
        struct checkout_saga got;
        assert_int_equal(
                checkout_cancel(&app, &buyer, "order-1", "changed my mind", &no_wait, &got),
                CE_CHECKOUT_UNFINISHED);
        assert_int_equal(sagas_stored(), 1); /* no cancellation saga */
}

/* A saga stored before the saved address id was: a repeat naming a saved
 * address is the same checkout when that address's lines are the stored ones. */
static void a_repeat_of_a_saga_stored_without_its_address_id_compares_the_lines(void **state)
{
        struct checkout_saga s;
        first_checkout("k-legacy", "", &home); /* as stored before: no id */
        assert_int_equal(place("k-legacy", "tok_ok", "addr-1", NULL, &s), CE_OK); /* addr-1: home */
        assert_int_equal(place("k-legacy", "tok_ok", "nope-1", NULL, &s), CE_KEY_REUSED);
        assert_int_equal(sagas_stored(), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(a_card_number_is_refused_before_anything_is_stored,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_repeat_with_another_inline_address_is_a_reused_key, setup, teardown),
                cmocka_unit_test_setup_teardown(a_repeat_with_another_saved_address_is_a_reused_key,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_cancellation_waits_for_the_orders_checkout_to_finish, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        a_repeat_of_a_saga_stored_without_its_address_id_compares_the_lines, setup,
                        teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
