/* The inventory's domain events as EventEnvelopes (bookstore.events.v1) for
 * the outbox: stock.changed for every change of a book's level, plus
 * stock.depleted / stock.replenished when its availability crosses zero
 * (inventory_stock_events). Topic "bookstore.stock", key and aggregate id:
 * the book id, so one book's events stay in order. */
#pragma once

#include "db/db.h"
#include "inventory-rules.h"

/* Appends the events of before -> after on conn's transaction (none when
 * the level did not change). */
int inventory_append_stock_events(struct db_conn *conn, const struct inventory_level *before,
                                  const struct inventory_level *after);
