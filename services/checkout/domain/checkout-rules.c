/* Checkout rules; see checkout-rules.h. */
#include "checkout-rules.h"

#include "core/errors.h"
#include "core/ids.h"
#include "core/payment-token.h"

#include <ctype.h>
#include <string.h>

#define ROW(code, kind, msg) [code - CE_FIRST] = {kind, msg},
ERROR_TABLE(checkout, CE_FIRST, CHECKOUT_ERRORS(ROW))
#undef ROW

const struct saga_def *checkout_def_of(enum checkout_kind kind)
{
        return kind == CHECKOUT_KIND_CANCELLATION ? &cancellation_saga : &checkout_saga;
}

int checkout_check_items(const struct checkout_item *items, size_t n)
{
        if (n == 0 || n > CHECKOUT_MAX_ITEMS)
                return CE_ITEMS_INVALID;
        for (size_t i = 0; i < n; i++) {
                if (!id_valid(items[i].book_id, 63))
                        return CE_BOOK_ID_INVALID;
                if (items[i].quantity < 1 || items[i].quantity > CHECKOUT_MAX_QUANTITY)
                        return CE_ITEMS_INVALID;
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(items[k].book_id, items[i].book_id))
                                return CE_ITEMS_INVALID;
        }
        return CE_OK;
}

int checkout_check_address(struct checkout_address *a)
{
        if (!a->recipient[0] || !a->line1[0] || !a->city[0] || !a->postal_code[0] ||
            !isalpha((unsigned char)a->country_code[0]) ||
            !isalpha((unsigned char)a->country_code[1]) || a->country_code[2])
                return CE_ADDRESS_INVALID;
        a->country_code[0] = (char)toupper((unsigned char)a->country_code[0]);
        a->country_code[1] = (char)toupper((unsigned char)a->country_code[1]);
        return CE_OK;
}

int checkout_check_token(const char *token)
{
        switch (payment_token_check(token)) {
        case PAYMENT_TOKEN_OK:
                return CE_OK;
        case PAYMENT_TOKEN_CARD_NUMBER:
                return CE_CARD_NUMBER;
        default:
                return CE_TOKEN_INVALID;
        }
}

int checkout_check_key(const char *key)
{
        size_t n = key ? strlen(key) : 0;
        return n >= 1 && n <= 64 ? CE_OK : CE_KEY_INVALID;
}

bool checkout_same_items(const struct checkout_item *a, size_t na, const struct checkout_item *b,
                         size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                bool found = false;
                for (size_t k = 0; k < nb && !found; k++)
                        found = !strcmp(a[i].book_id, b[k].book_id) &&
                                a[i].quantity == b[k].quantity;
                if (!found)
                        return false;
        }
        return true;
}

bool checkout_same_address(const struct checkout_address *a, const struct checkout_address *b)
{
        return !strcmp(a->recipient, b->recipient) && !strcmp(a->line1, b->line1) &&
               !strcmp(a->line2, b->line2) && !strcmp(a->city, b->city) &&
               !strcmp(a->postal_code, b->postal_code) && !strcmp(a->country_code, b->country_code);
}

bool checkout_order_cancellable(int order_status)
{
        return order_status == CHECKOUT_ORDER_CONFIRMED ||
               order_status == CHECKOUT_ORDER_CANCEL_REQUESTED;
}
