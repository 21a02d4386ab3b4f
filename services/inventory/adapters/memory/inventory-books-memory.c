/* The catalog's sellers in memory; see inventory-books-memory.h. */
#include "inventory-books-memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int inventory_memory_books_add(struct inventory_memory_books *b, const char *book_id,
                               const char *seller_id)
{
        if (b->n == INVENTORY_MEMORY_SELLERS)
                return -ENOSPC;
        snprintf(b->books[b->n].book_id, sizeof(b->books[b->n].book_id), "%s", book_id);
        snprintf(b->books[b->n].seller_id, sizeof(b->books[b->n].seller_id), "%s", seller_id);
        b->n++;
        return 0;
}

static int seller_of(void *self, const char *book_id, const char *authorization, char *ret_seller,
                     size_t len)
{
        (void)authorization;
        struct inventory_memory_books *b = self;
        if (b->failure)
                return b->failure;
        for (size_t i = 0; i < b->n; i++)
                if (!strcmp(b->books[i].book_id, book_id)) {
                        snprintf(ret_seller, len, "%s", b->books[i].seller_id);
                        return 0;
                }
        return -ENOENT;
}

static const struct inventory_books_ops books_ops = {.seller_of = seller_of};

struct inventory_books inventory_books_memory(struct inventory_memory_books *b)
{
        return (struct inventory_books){.ops = &books_ops, .self = b};
}
