/* Inventory domain rules, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "inventory-errors.h"
#include "inventory-rules.h"

#include <string.h>

static void items_are_validated_and_sorted(void **state)
{
        struct inventory_item items[] = {{"b2", 1}, {"b1", 3}};
        assert_int_equal(inventory_normalize_items(items, 2), IE_OK);
        assert_string_equal(items[0].book_id, "b1");
        struct inventory_item same[] = {{"b1", 3}, {"b2", 1}};
        assert_true(inventory_same_items(items, 2, same, 2));
        same[1].quantity = 2;
        assert_false(inventory_same_items(items, 2, same, 2));
        struct inventory_item dup[] = {{"b1", 1}, {"b1", 2}};
        assert_int_equal(inventory_normalize_items(dup, 2), IE_ITEMS_INVALID);
        struct inventory_item zero[] = {{"b1", 0}};
        assert_int_equal(inventory_normalize_items(zero, 1), IE_ITEMS_INVALID);
        assert_int_equal(inventory_normalize_items(zero, 0), IE_ITEMS_INVALID);
}

static void stock_never_goes_below_reserved(void **state)
{
        struct inventory_level l = {"b1", 10, 4};
        int64_t after;
        assert_int_equal(inventory_adjusted(&l, -6, &after), IE_OK);
        assert_int_equal(after, 4);
        assert_int_equal(inventory_adjusted(&l, -7, &after), IE_BELOW_RESERVED);
        assert_int_equal(inventory_adjusted(&l, 0, &after), IE_QUANTITY_INVALID);
        assert_int_equal(inventory_check_on_hand(-1), IE_QUANTITY_INVALID);
}

static void shortages_name_the_books(void **state)
{
        struct inventory_item items[] = {{"b1", 3}, {"b2", 1}, {"b3", 5}};
        struct inventory_level levels[] = {{"b1", 5, 3}, {"b2", 1, 0}, {"b3", 0, 0}};
        char msg[256];
        assert_int_equal(inventory_find_shortages(items, levels, 3, msg, sizeof(msg)),
                         IE_INSUFFICIENT);
        assert_string_equal(msg, "insufficient stock: book b1 (available 2, requested 3); "
                                 "book b3 (available 0, requested 5)");
        levels[0].reserved = 0;
        levels[2].on_hand = 5;
        assert_int_equal(inventory_find_shortages(items, levels, 3, msg, sizeof(msg)), IE_OK);
}

static void reservation_state_machine(void **state)
{
        assert_int_equal(inventory_decide(RESERVATION_RESERVED, ACTION_RELEASE), DECIDE_APPLY);
        /* an undo of a reservation never seen fences the late one off */
        assert_int_equal(inventory_decide(RESERVATION_NONE, ACTION_RELEASE), DECIDE_FENCE);
        assert_int_equal(inventory_decide(RESERVATION_RELEASED, ACTION_RELEASE), DECIDE_NOOP);
        assert_int_equal(inventory_decide(RESERVATION_COMMITTED, ACTION_RELEASE), DECIDE_REFUSE);
        assert_int_equal(inventory_decide(RESERVATION_RESERVED, ACTION_COMMIT), DECIDE_APPLY);
        assert_int_equal(inventory_decide(RESERVATION_COMMITTED, ACTION_COMMIT), DECIDE_NOOP);
        assert_int_equal(inventory_decide(RESERVATION_RELEASED, ACTION_COMMIT), DECIDE_REFUSE);
        assert_int_equal(inventory_decide(RESERVATION_NONE, ACTION_COMMIT), DECIDE_REFUSE);
        assert_int_equal(inventory_decide(RESERVATION_COMMITTED, ACTION_RESTOCK), DECIDE_APPLY);
        assert_int_equal(inventory_decide(RESERVATION_NONE, ACTION_RESTOCK), DECIDE_FENCE);
        assert_int_equal(inventory_decide(RESERVATION_RELEASED, ACTION_RESTOCK), DECIDE_NOOP);
        /* a confirm resumed after the order was cancelled and restocked: done */
        assert_int_equal(inventory_decide(RESERVATION_RESTOCKED, ACTION_COMMIT), DECIDE_NOOP);
        assert_int_equal(inventory_decide(RESERVATION_RESTOCKED, ACTION_RELEASE), DECIDE_REFUSE);
        assert_int_equal(inventory_decide(RESERVATION_RESERVED, ACTION_RESTOCK), DECIDE_REFUSE);
        assert_true(inventory_compensated(RESERVATION_RELEASED));
        assert_true(inventory_compensated(RESERVATION_RESTOCKED));
        assert_false(inventory_compensated(RESERVATION_RESERVED));
        assert_false(inventory_compensated(RESERVATION_COMMITTED));
        assert_int_equal(inventory_check_order_id("order-1"), IE_OK);
        assert_int_equal(inventory_check_order_id("has space"), IE_ORDER_ID_INVALID);
}

static void stock_events_follow_availability(void **state)
{
        (void)state;
        struct inventory_level empty = {"b1", 0, 0}, five = {"b1", 5, 0}, held = {"b1", 5, 5},
                               four = {"b1", 5, 1}, gone = {"b1", 0, 0};
        assert_int_equal(inventory_stock_events(&five, &five), 0);
        assert_int_equal(inventory_stock_events(&empty, &five),
                         STOCK_EVENT_CHANGED | STOCK_EVENT_REPLENISHED);
        assert_int_equal(inventory_stock_events(&five, &four), STOCK_EVENT_CHANGED);
        /* everything reserved: nothing left to sell */
        assert_int_equal(inventory_stock_events(&four, &held),
                         STOCK_EVENT_CHANGED | STOCK_EVENT_DEPLETED);
        /* a commit moves reserved out of on_hand: available stays 0 */
        assert_int_equal(inventory_stock_events(&held, &gone), STOCK_EVENT_CHANGED);
        assert_int_equal(inventory_stock_events(&held, &four),
                         STOCK_EVENT_CHANGED | STOCK_EVENT_REPLENISHED);
}

/* Every (status, action) pair against a grid written here: A apply, N no-op,
 * F fence (a tombstone), R refuse; columns release, commit, restock. */
static void every_status_and_action(void **state)
{
        static const char *const grid[] = {
                [RESERVATION_NONE] = "FRF",      [RESERVATION_RESERVED] = "AAR",
                [RESERVATION_RELEASED] = "NRN",  [RESERVATION_COMMITTED] = "RNA",
                [RESERVATION_RESTOCKED] = "RNN", /* a late commit: it happened */
        };
        static const char letter[] = {[DECIDE_APPLY] = 'A',
                                      [DECIDE_NOOP] = 'N',
                                      [DECIDE_FENCE] = 'F',
                                      [DECIDE_REFUSE] = 'R'};
        for (int s = RESERVATION_NONE; s <= RESERVATION_RESTOCKED; s++)
                for (int a = ACTION_RELEASE; a <= ACTION_RESTOCK; a++) {
                        char got = letter[inventory_decide(s, a)];
                        if (got != grid[s][a])
                                fail_msg("status %d, action %d: %c, want %c", s, a, got,
                                         grid[s][a]);
                }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(items_are_validated_and_sorted),
                cmocka_unit_test(stock_never_goes_below_reserved),
                cmocka_unit_test(shortages_name_the_books),
                cmocka_unit_test(reservation_state_machine),
                cmocka_unit_test(every_status_and_action),
                cmocka_unit_test(stock_events_follow_availability),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
