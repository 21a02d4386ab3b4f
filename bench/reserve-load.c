/* ReserveStock load for bench/run-services.sh: THREADS threads each make
 * CALLS reservations of 1 unit of BOOK, every one with its own order id (a
 * repeat would only read), through the libs/rpc client. Prints calls/s,
 * p50/p99 in ms and the number answered OK.
 *   reserve-load TARGET BOOK TOKEN THREADS CALLS RUN_ID */
#include "bookstore/inventory/v1/inventory.pb-c.h"
#include "core/clock.h"
#include "rpc/client.h"
#include "rpc/rpc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *target, *book, *run_id;
static char auth[2048];
static int calls;
static struct rpc_client *client;

struct worker {
        pthread_t thread;
        int id, ok;
        int64_t *latency_us;
};

static void *work(void *arg)
{
        struct worker *w = arg;
        for (int i = 0; i < calls; i++) {
                char order[96];
                snprintf(order, sizeof(order), "bench-%s-%d-%d", run_id, w->id, i);
                Bookstore__Inventory__V1__StockItem item;
                bookstore__inventory__v1__stock_item__init(&item);
                item.book_id = (char *)book;
                item.quantity = 1;
                Bookstore__Inventory__V1__StockItem *items[] = {&item};
                Bookstore__Inventory__V1__ReserveStockRequest req;
                bookstore__inventory__v1__reserve_stock_request__init(&req);
                req.order_id = order;
                req.n_items = 1;
                req.items = items;
                struct rpc_metadata md[] = {{"authorization", auth}};
                struct rpc_client_call call = {
                        .target = target,
                        .method = "/bookstore.inventory.v1.InventoryService/ReserveStock",
                        .request = &req.base,
                        .response_type =
                                &bookstore__inventory__v1__reserve_stock_response__descriptor,
                        .timeout_ms = 30000,
                        .metadata = md,
                        .n_metadata = 1};
                ProtobufCMessage *resp = NULL;
                struct rpc_client_status st;
                int64_t t0 = clock_monotonic_us();
                if (rpc_client_unary(client, &call, &resp, &st) == 0 && st.code == RPC_OK)
                        w->ok++;
                w->latency_us[i] = clock_monotonic_us() - t0;
                if (resp)
                        protobuf_c_message_free_unpacked(resp, NULL);
        }
        return NULL;
}

static int cmp64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        if (argc != 7) {
                fprintf(stderr, "usage: reserve-load TARGET BOOK TOKEN THREADS CALLS RUN_ID\n");
                return 2;
        }
        target = argv[1];
        book = argv[2];
        snprintf(auth, sizeof(auth), "Bearer %s", argv[3]);
        int threads = atoi(argv[4]);
        calls = atoi(argv[5]);
        run_id = argv[6];
        if (threads < 1 || threads > 256 || calls < 1 || rpc_client_new(&client) < 0)
                return 2;
        struct worker *w = calloc((size_t)threads, sizeof(*w));
        int64_t *all = calloc((size_t)threads * (size_t)calls, sizeof(*all));
        int64_t start = clock_monotonic_us();
        for (int i = 0; i < threads; i++) {
                w[i].id = i;
                w[i].latency_us = all + (size_t)i * (size_t)calls;
                pthread_create(&w[i].thread, NULL, work, &w[i]);
        }
        int ok = 0;
        for (int i = 0; i < threads; i++) {
                pthread_join(w[i].thread, NULL);
                ok += w[i].ok;
        }
        double seconds = (double)(clock_monotonic_us() - start) / 1e6;
        size_t n = (size_t)threads * (size_t)calls;
        qsort(all, n, sizeof(*all), cmp64);
        printf("%.0f %.2f %.2f %d\n", (double)n / seconds, (double)all[n / 2] / 1000.0,
               (double)all[n * 99 / 100] / 1000.0, ok);
        free(all);
        free(w);
        rpc_client_free(client);
        return 0;
}
