/* The review store and the order service in memory, with the contracts of
 * the MariaDB store and the gRPC peer (review-ports.h), for use-case tests.
 * Rows grow in arrays under one mutex; the events a change would publish are
 * kept in order for the tests to read. The orders are a table a test fills:
 * (token, book) pairs that were delivered. */
#pragma once

#include "review-ports.h"

#include <pthread.h>

struct review_memory_event {
        enum review_change change;
        char review_id[37];
        char book_id[64];
        struct rating_summary summary;
};

struct review_memory_store {
        pthread_mutex_t lock;
        struct review *reviews;
        size_t n, cap;
        int64_t next_seq;
        struct review_memory_summary {
                char book_id[64];
                struct rating_summary s;
        } * summaries;
        size_t n_summaries, cap_summaries;
        struct review_memory_mark {
                char review_id[37];
                char user_id[64];
        } * marks;
        size_t n_marks, cap_marks;
        struct review_memory_event *events;
        size_t n_events, cap_events;
};

void review_memory_store_init(struct review_memory_store *m);
void review_memory_store_free(struct review_memory_store *m);
struct review_store review_store_memory(struct review_memory_store *m);

enum { REVIEW_MEMORY_DELIVERIES = 32 };
struct review_memory_orders {
        struct {
                char authorization[128];
                char book_id[64];
                char seller_id[64];
        } delivered[REVIEW_MEMORY_DELIVERIES];
        size_t n;
        int fail; /* a negative errno every call answers (0: none) */
};
struct review_orders review_orders_memory(struct review_memory_orders *o);
