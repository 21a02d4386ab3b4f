/* Rules of the catalog's event-driven parts: the book status that stock
 * events imply, and the sales statistics read model (units sold and revenue
 * per book, from order.confirmed / order.cancelled). Pure; no I/O. */
#pragma once

#include "catalog-rules.h"

/* The status a book moves to when its stock runs out (available false) or
 * comes back (true): ON_SALE -> SOLD_OUT and SOLD_OUT -> ON_SALE only; a
 * book not yet on sale or unlisted stays as it is. 0: no change. */
enum catalog_status catalog_status_for_stock(enum catalog_status current, bool available);

/* What the read model knows of an order. */
enum catalog_sales_order {
        SALES_ORDER_UNSEEN = 0,
        SALES_ORDER_COUNTED = 1,   /* confirmed: its lines are in the totals */
        SALES_ORDER_CANCELLED = 2, /* cancelled: not (or no longer) in the totals */
};

/* The effect of an order event on the totals: +1 add the order's lines, -1
 * take them back, 0 nothing; *next is the order's new state. A cancellation
 * seen first makes a later confirmation count nothing (events of one order
 * come in order on one partition, but the model does not rely on it). */
int catalog_sales_effect(enum catalog_sales_order current, bool confirmed,
                         enum catalog_sales_order *next);

struct catalog_sales {
        int64_t units;
        struct catalog_money revenue; /* currency "" until the first sale */
};

/* Adds sign * quantity units and quantity * unit_price revenue (sign +1 or
 * -1). Revenue is kept in one currency per book, the first one sold in: a
 * line in another currency counts its units only (returns false). */
bool catalog_sales_add(struct catalog_sales *s, int sign, int64_t quantity,
                       const struct catalog_money *unit_price);
