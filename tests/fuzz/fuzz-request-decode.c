/* Fuzz target: the runtime's request checks and decoding (rpc_request_decode:
 * size, wire shape and depth, NULs, protobuf-c into an arena, UTF-8), on
 * every request type of every service -- the seven services, the test
 * service, health and reflection. The first byte picks the type, the rest
 * are its bytes (review last, so the corpora written before it kept their
 * meaning). */
#include "rpc-int.h"

#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "bookstore/checkout/v1/checkout.pb-c.h"
#include "bookstore/identity/v1/identity.pb-c.h"
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "bookstore/order/v1/order.pb-c.h"
#include "bookstore/payment/v1/payment.pb-c.h"
#include "bookstore/review/v1/review.pb-c.h"
#include "bookstore/testing/v1/testing.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCServiceDescriptor *const services[] = {
        &bookstore__identity__v1__identity_service__descriptor,
        &bookstore__catalog__v1__catalog_service__descriptor,
        &bookstore__inventory__v1__inventory_service__descriptor,
        &bookstore__payment__v1__payment_service__descriptor,
        &bookstore__order__v1__order_service__descriptor,
        &bookstore__checkout__v1__checkout_service__descriptor,
        &bookstore__testing__v1__test_service__descriptor,
        &grpc__health__v1__health__descriptor,
        &grpc__reflection__v1__server_reflection__descriptor,
        &bookstore__review__v1__review_service__descriptor,
};

/* Every method's request type, in order; n of them. */
static const ProtobufCMessageDescriptor *request_type(unsigned pick)
{
        unsigned n = 0;
        for (size_t s = 0; s < sizeof(services) / sizeof(*services); s++)
                n += services[s]->n_methods;
        pick %= n;
        for (size_t s = 0;; s++) {
                if (pick < services[s]->n_methods)
                        return services[s]->methods[pick].input;
                pick -= services[s]->n_methods;
        }
}

struct fuzz_arena {
        struct arena *arena;
        bool failed;
};

static void *alloc_cb(void *data, size_t n)
{
        struct fuzz_arena *a = data;
        void *p = arena_alloc(a->arena, n);
        a->failed = a->failed || !p;
        return p;
}

static void free_cb(void *data, void *p)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        const ProtobufCMessageDescriptor *d = request_type(data[0]);
        const struct rpc_server_config cfg = {
                .max_message_bytes = 1 << 20, .arena_max_bytes = 4 << 20, .max_nesting_depth = 64};
        struct fuzz_arena a = {0};
        if (arena_new(&a.arena, cfg.arena_max_bytes) < 0)
                abort();
        ProtobufCAllocator alloc = {.alloc = alloc_cb, .free = free_cb, .allocator_data = &a};
        ProtobufCMessage *m = NULL;
        char why[512];
        int code = rpc_request_decode(&cfg, cfg.max_message_bytes, d, &alloc, &a.failed, data + 1,
                                      size - 1, &m, why, sizeof(why));
        if ((code == RPC_OK) != (m != NULL) || (code != RPC_OK && !why[0]))
                abort(); /* a decision without its message, or a message without a decision */
        arena_free(a.arena);
        return 0;
}
