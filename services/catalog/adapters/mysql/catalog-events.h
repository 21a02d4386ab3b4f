/* The catalog's domain events for the outbox: book.created, book.updated
 * (with the fields that changed) and book.status_changed. Topic
 * "bookstore.book", key and aggregate id: the book id. */
#pragma once

#include "catalog-ports.h"
#include "events/outbox.h"

enum { CATALOG_EVENT_MAX = 8192 };

int catalog_event_created(const struct catalog_book *b, int64_t now_ms, uint8_t *buf,
                          char event_id[37], struct events_record *ret);
/* changed: the names of the fields that changed (n of them, n >= 1). */
int catalog_event_updated(const char *book_id, const char *const *changed, size_t n, int64_t now_ms,
                          uint8_t *buf, char event_id[37], struct events_record *ret);
int catalog_event_status(const char *book_id, enum catalog_status from, enum catalog_status to,
                         int64_t now_ms, uint8_t *buf, char event_id[37],
                         struct events_record *ret);
