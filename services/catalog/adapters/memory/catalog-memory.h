/* The catalog's repository and cache in memory: the same contracts as the
 * MariaDB repository and the Redis cache (catalog-ports.h), for use-case
 * tests. Fixed tables (a test's worth), one mutex each. The cache can be told
 * to fail, as an unreachable Redis does. */
#pragma once

#include "catalog-ports.h"

#include <pthread.h>

enum { CATALOG_MEMORY_BOOKS = 64, CATALOG_MEMORY_CATEGORIES = 16 };

struct catalog_memory {
        pthread_mutex_t lock;
        struct catalog_book *books; /* CATALOG_MEMORY_BOOKS */
        size_t n_books;
        int64_t last_seq;
        struct catalog_category categories[CATALOG_MEMORY_CATEGORIES];
        size_t n_categories;
        struct catalog_best_seller sales[CATALOG_MEMORY_BOOKS]; /* as the projections left them */
        size_t n_sales;
};

int catalog_memory_init(struct catalog_memory *m); /* -ENOMEM */
void catalog_memory_free(struct catalog_memory *m);
struct catalog_repo catalog_repo_memory(struct catalog_memory *m);

struct catalog_cache_memory {
        pthread_mutex_t lock;
        struct catalog_cache_entry {
                char id[37];
                int64_t generation;
                bool present;
                struct catalog_book book;
        } * entries; /* CATALOG_MEMORY_BOOKS */
        size_t n_entries;
        int fail_with; /* a negative errno every operation returns; 0: works */
};

int catalog_cache_memory_init(struct catalog_cache_memory *c); /* -ENOMEM */
void catalog_cache_memory_free(struct catalog_cache_memory *c);
struct catalog_cache catalog_cache_memory(struct catalog_cache_memory *c);
