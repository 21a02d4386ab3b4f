/* The inventory store in memory: the same contract as the MariaDB store
 * (inventory-ports.h), for use-case tests and the checkout simulation. Every
 * operation is atomic under one mutex. Books and reservations grow (a fake
 * refuses nothing the real store takes). */
#pragma once

#include "inventory-ports.h"

#include <pthread.h>

struct inventory_memory {
        pthread_mutex_t lock;
        struct inventory_level *levels; /* grows */
        size_t n_levels, cap_levels;
        struct inventory_reservation *reservations; /* grows */
        size_t n_reservations, cap_reservations;
};

void inventory_memory_init(struct inventory_memory *m);
void inventory_memory_free(struct inventory_memory *m);
struct inventory_store inventory_store_memory(struct inventory_memory *m);
