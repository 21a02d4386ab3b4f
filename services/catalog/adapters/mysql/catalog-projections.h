/* The catalog's event consumers (libs/events consumer handlers, run on the
 * consumer's transaction):
 *  - bookstore.stock: stock.depleted -> the book SOLD_OUT, stock.replenished
 *    -> back ON_SALE (catalog_status_for_stock decides; the change goes
 *    through the outbox as book.status_changed like a seller's would, and
 *    the cached book is dropped once committed);
 *  - bookstore.order: order.confirmed / order.cancelled -> the sales
 *    statistics read model (book_sales, sales_orders) behind ListBestSellers;
 *  - bookstore.review: review.* -> the book's rating summary (the summary
 *    the event carries, if its version is higher than the one kept; the
 *    cached book is dropped once committed). */
#pragma once

#include "catalog-ports.h"
#include "events/consumer.h"

enum { CATALOG_N_HANDLERS = 10 };

struct catalog_projections {
        struct catalog_cache cache;
};

extern const char *const catalog_consumed_topics[];
extern const size_t catalog_n_consumed_topics;

/* Fills out[CATALOG_N_HANDLERS]; ctx must outlive the consumer. */
void catalog_event_handlers(struct catalog_projections *ctx,
                            struct events_handler out[CATALOG_N_HANDLERS]);
