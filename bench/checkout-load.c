/* PlaceOrder load for bench/run-checkout.sh: THREADS threads each place CALLS
 * checkouts of 1 unit of BOOK (a new idempotency key each, tok_ok, an inline
 * address) through the libs/rpc client, end to end: each call returns when
 * its saga has ended. Prints sagas/s, p50/p95/p99 in ms, and how many sagas
 * came back COMPLETED.
 *   checkout-load TARGETS BOOK TOKEN THREADS CALLS RUN_ID
 * TARGETS: one address, or several separated by commas (coordinator
 * replicas): thread i calls the (i mod n)-th. */
#include "bookstore/checkout/v1/checkout.pb-c.h"
#include "core/clock.h"
#include "rpc/client.h"
#include "rpc/rpc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TARGETS = 8 };
static char *targets[MAX_TARGETS];
static int n_targets;
static const char *book, *run_id;
static char authorization[2048];
static int calls_per_thread;
static struct rpc_client *client;

struct load_thread {
        pthread_t thread;
        const char *target;
        int id, completed;
        int64_t *latency_us;
};

static int place_one(const char *target, const char *key)
{
        Bookstore__Checkout__V1__CheckoutItem item;
        bookstore__checkout__v1__checkout_item__init(&item);
        item.book_id = (char *)book;
        item.quantity = 1;
        Bookstore__Checkout__V1__CheckoutItem *items[] = {&item};
        Bookstore__Common__V1__Address address;
        bookstore__common__v1__address__init(&address);
        address.recipient = "Bench Buyer";
        address.line1 = "1 Load St";
        address.city = "Berlin";
        address.postal_code = "10115";
        address.country_code = "DE";
        Bookstore__Checkout__V1__PlaceOrderRequest req;
        bookstore__checkout__v1__place_order_request__init(&req);
        req.n_items = 1;
        req.items = items;
        req.shipping_address = &address;
        req.payment_method_token = "tok_ok";
        req.idempotency_key = (char *)key;
        struct rpc_metadata md[] = {{"authorization", authorization}};
        struct rpc_client_call call = {
                .target = target,
                .method = "/bookstore.checkout.v1.CheckoutService/PlaceOrder",
                .request = &req.base,
                .response_type = &bookstore__checkout__v1__place_order_response__descriptor,
                .timeout_ms = 60000,
                .metadata = md,
                .n_metadata = 1};
        ProtobufCMessage *resp = NULL;
        struct rpc_client_status st;
        int completed = 0;
        if (rpc_client_unary(client, &call, &resp, &st) == 0 && st.code == RPC_OK) {
                const Bookstore__Checkout__V1__PlaceOrderResponse *r = (const void *)resp;
                completed = r->saga &&
                            r->saga->status ==
                                    BOOKSTORE__CHECKOUT__V1__SAGA_STATUS__SAGA_STATUS_COMPLETED;
        }
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        return completed;
}

static void *load_main(void *arg)
{
        struct load_thread *t = arg;
        for (int i = 0; i < calls_per_thread; i++) {
                char key[64];
                snprintf(key, sizeof(key), "bench-%s-%d-%d", run_id, t->id, i);
                int64_t t0 = clock_monotonic_us();
                t->completed += place_one(t->target, key);
                t->latency_us[i] = clock_monotonic_us() - t0;
        }
        return NULL;
}

static int by_value(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        if (argc != 7) {
                fprintf(stderr, "usage: checkout-load TARGETS BOOK TOKEN THREADS CALLS RUN_ID\n");
                return 2;
        }
        for (char *save = NULL, *a = strtok_r(argv[1], ",", &save); a && n_targets < MAX_TARGETS;
             a = strtok_r(NULL, ",", &save))
                targets[n_targets++] = a;
        book = argv[2];
        snprintf(authorization, sizeof(authorization), "Bearer %s", argv[3]);
        int threads = atoi(argv[4]);
        calls_per_thread = atoi(argv[5]);
        run_id = argv[6];
        if (n_targets < 1 || threads < 1 || threads > 256 || calls_per_thread < 1 ||
            rpc_client_new(&client) < 0)
                return 2;
        size_t n = (size_t)threads * (size_t)calls_per_thread;
        struct load_thread *t = calloc((size_t)threads, sizeof(*t));
        int64_t *latency = calloc(n, sizeof(*latency));
        if (!t || !latency)
                return 1;
        int64_t start = clock_monotonic_us();
        for (int i = 0; i < threads; i++) {
                t[i].id = i;
                t[i].target = targets[i % n_targets];
                t[i].latency_us = latency + (size_t)i * (size_t)calls_per_thread;
                pthread_create(&t[i].thread, NULL, load_main, &t[i]);
        }
        int completed = 0;
        for (int i = 0; i < threads; i++) {
                pthread_join(t[i].thread, NULL);
                completed += t[i].completed;
        }
        double seconds = (double)(clock_monotonic_us() - start) / 1e6;
        qsort(latency, n, sizeof(*latency), by_value);
        printf("%.0f %.1f %.1f %.1f %d\n", (double)n / seconds, (double)latency[n / 2] / 1000.0,
               (double)latency[n * 95 / 100] / 1000.0, (double)latency[n * 99 / 100] / 1000.0,
               completed);
        free(latency);
        free(t);
        rpc_client_free(client);
        return 0;
}
