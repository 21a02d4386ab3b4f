/* The inventory store in memory: the same contract as the MariaDB store
 * (inventory-ports.h), for use-case tests and the checkout simulation. Every
 * operation is atomic under one mutex. Reservations grow; books are a fixed
 * table (a test's worth). */
#pragma once

#include "inventory-ports.h"

#include <pthread.h>

enum { INVENTORY_MEMORY_BOOKS = 64 };

struct inventory_memory {
        pthread_mutex_t lock;
        struct inventory_level levels[INVENTORY_MEMORY_BOOKS];
        size_t n_levels;
        struct inventory_reservation *reservations; /* grows */
        size_t n_reservations, cap_reservations;
};

void inventory_memory_init(struct inventory_memory *m);
void inventory_memory_free(struct inventory_memory *m);
struct inventory_store inventory_store_memory(struct inventory_memory *m);
