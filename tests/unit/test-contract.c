/* The contract as built: protoc-c's service descriptors and the descriptor
 * set embedded for reflection describe the same services and methods, and
 * the runtime accepts the set (every import is inside it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rpc/rpc.h"

#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "bookstore/checkout/v1/checkout.pb-c.h"
#include "bookstore/review/v1/review.pb-c.h"
#include "bookstore/identity/v1/identity.pb-c.h"
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "bookstore/order/v1/order.pb-c.h"
#include "bookstore/payment/v1/payment.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"

#include <string.h>

extern const unsigned char bookstore_contract_descriptors[];
extern const size_t bookstore_contract_descriptors_len;

static const ProtobufCServiceDescriptor *const services[] = {
        &bookstore__identity__v1__identity_service__descriptor,
        &bookstore__catalog__v1__catalog_service__descriptor,
        &bookstore__inventory__v1__inventory_service__descriptor,
        &bookstore__payment__v1__payment_service__descriptor,
        &bookstore__order__v1__order_service__descriptor,
        &bookstore__checkout__v1__checkout_service__descriptor,
        &bookstore__review__v1__review_service__descriptor,
};

static const Google__Protobuf__ServiceDescriptorProto *
find_service(const Google__Protobuf__FileDescriptorSet *set, const char *full_name)
{
        for (size_t f = 0; f < set->n_file; f++) {
                const Google__Protobuf__FileDescriptorProto *file = set->file[f];
                size_t plen = strlen(file->package);
                if (strncmp(full_name, file->package, plen) || full_name[plen] != '.')
                        continue;
                for (size_t s = 0; s < file->n_service; s++)
                        if (!strcmp(file->service[s]->name, full_name + plen + 1))
                                return file->service[s];
        }
        return NULL;
}

static void descriptor_set_matches_generated_services(void **state)
{
        Google__Protobuf__FileDescriptorSet *set = google__protobuf__file_descriptor_set__unpack(
                NULL, bookstore_contract_descriptors_len, bookstore_contract_descriptors);
        assert_non_null(set);
        size_t methods = 0;
        for (size_t i = 0; i < sizeof(services) / sizeof(*services); i++) {
                const Google__Protobuf__ServiceDescriptorProto *svc =
                        find_service(set, services[i]->name);
                assert_non_null(svc);
                assert_int_equal(svc->n_method, services[i]->n_methods);
                for (size_t m = 0; m < svc->n_method; m++)
                        assert_non_null(protobuf_c_service_descriptor_get_method_by_name(
                                services[i], svc->method[m]->name));
                methods += svc->n_method;
        }
        assert_true(methods >= 40); /* the whole API is declared up front (46 methods today) */
        /* the streaming RPC of the saga coordinator */
        const Google__Protobuf__ServiceDescriptorProto *checkout =
                find_service(set, "bookstore.checkout.v1.CheckoutService");
        bool watch_streams = false;
        for (size_t m = 0; m < checkout->n_method; m++)
                if (!strcmp(checkout->method[m]->name, "WatchSaga"))
                        watch_streams = checkout->method[m]->server_streaming;
        assert_true(watch_streams);
        google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
}

static void runtime_accepts_the_descriptor_set(void **state)
{
        struct rpc_server_config cfg = {
                .listen_addr = "127.0.0.1:0",
                .workers = 1,
                .queues = 1,
                .requests_per_method = 1,
                .max_message_bytes = 1 << 20,
                .arena_max_bytes = 1 << 20,
                .max_nesting_depth = 64,
                .shutdown_grace_ms = 100,
                .max_streams = 1,
        };
        struct rpc_server *s;
        assert_int_equal(rpc_server_new(&s, &cfg), 0);
        assert_int_equal(rpc_server_enable_reflection(s, bookstore_contract_descriptors,
                                                      bookstore_contract_descriptors_len),
                         0);
        /* a handler table with a typo is refused */
        const struct rpc_method_impl typo[] = {{.name = "GetBok", .unary = NULL}};
        assert_int_not_equal(rpc_server_add_service(s, services[1], NULL, typo, 1, NULL), 0);
        rpc_server_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(descriptor_set_matches_generated_services),
                cmocka_unit_test(runtime_accepts_the_descriptor_set),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
