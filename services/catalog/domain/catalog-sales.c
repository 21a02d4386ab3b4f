/* See catalog-sales.h. */
#include "catalog-sales.h"

#include <stdio.h>
#include <string.h>

enum catalog_status catalog_status_for_stock(enum catalog_status current, bool available)
{
        if (!available && current == BOOK_ON_SALE)
                return BOOK_SOLD_OUT;
        if (available && current == BOOK_SOLD_OUT)
                return BOOK_ON_SALE;
        return 0;
}

int catalog_sales_effect(enum catalog_sales_order current, bool confirmed,
                         enum catalog_sales_order *next)
{
        *next = current;
        if (confirmed && current == SALES_ORDER_UNSEEN) {
                *next = SALES_ORDER_COUNTED;
                return 1;
        }
        if (!confirmed && current != SALES_ORDER_CANCELLED) {
                *next = SALES_ORDER_CANCELLED;
                return current == SALES_ORDER_COUNTED ? -1 : 0;
        }
        return 0;
}

enum { NANOS = 1000000000 };

bool catalog_sales_add(struct catalog_sales *s, int sign, int64_t quantity,
                       const struct catalog_money *unit_price)
{
        s->units += sign * quantity;
        if (!s->revenue.currency[0])
                snprintf(s->revenue.currency, sizeof(s->revenue.currency), "%s",
                         unit_price->currency);
        if (strcmp(s->revenue.currency, unit_price->currency) != 0)
                return false;
        /* in nanos: 128 bits hold any int64 units times any quantity */
        __int128 total = (__int128)s->revenue.units * NANOS + s->revenue.nanos +
                         (__int128)sign * quantity *
                                 ((__int128)unit_price->units * NANOS + unit_price->nanos);
        /* division truncates toward zero: nanos take the sign of units, as Money wants */
        s->revenue.units = (int64_t)(total / NANOS);
        s->revenue.nanos = (int32_t)(total % NANOS);
        return true;
}
