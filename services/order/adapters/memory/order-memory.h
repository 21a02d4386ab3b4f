/* The order store and the order's peers (the catalog's prices) in memory,
 * with the contracts of the MariaDB store and the gRPC peers
 * (order-ports.h), for use-case tests and the checkout simulation. Orders
 * grow in an array under one mutex; the catalog is a fixed table a test
 * fills. */
#pragma once

#include "order-ports.h"

#include <pthread.h>

struct order_memory_store {
        pthread_mutex_t lock;
        struct order *orders;
        size_t n, cap;
};

void order_memory_store_init(struct order_memory_store *m);
void order_memory_store_free(struct order_memory_store *m);
struct order_store order_store_memory(struct order_memory_store *m);

enum { ORDER_MEMORY_BOOKS = 32 };

struct order_memory_catalog {
        struct {
                char book_id[64];
                struct order_book book;
        } books[ORDER_MEMORY_BOOKS];
        size_t n;
};

/* Adds a book on sale; -ENOSPC when the table is full. */
int order_memory_catalog_add(struct order_memory_catalog *c, const char *book_id,
                             const char *seller_id, const struct order_money *price);
/* book(): the table; address(): -ENOENT (the saga passes addresses inline). */
struct order_peers order_peers_memory(struct order_memory_catalog *c);
