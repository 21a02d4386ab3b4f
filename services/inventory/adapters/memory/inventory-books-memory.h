/* The catalog as inventory sees it (who sells a book), in memory: the
 * contract of inventory-books-grpc (inventory-ports.h) over a fixed table a
 * test fills. `failure`, when set, is what every lookup answers instead (a
 * catalog that is down or refuses). The authorization is not checked: the
 * memory catalog shows every book to every caller. */
#pragma once

#include "inventory-ports.h"

enum { INVENTORY_MEMORY_SELLERS = 32 };

struct inventory_memory_books {
        struct {
                char book_id[64];
                char seller_id[64];
        } books[INVENTORY_MEMORY_SELLERS];
        size_t n;
        int failure; /* 0, or a negative errno every lookup returns */
};

/* Adds a book and its seller; -ENOSPC when the table is full. */
int inventory_memory_books_add(struct inventory_memory_books *b, const char *book_id,
                               const char *seller_id);
struct inventory_books inventory_books_memory(struct inventory_memory_books *b);
