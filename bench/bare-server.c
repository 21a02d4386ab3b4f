/* The baseline for bench/run.sh: the least a grpc core unary server can do.
 * One registered method, requests kept posted, each reply sent in one batch
 * with the request bytes echoed back unchanged (an EchoRequest with only
 * field 1 is byte-identical to the EchoResponse carrying the same message).
 * No decoding, no arena, no interceptors, no log. Prints "listening on port
 * N", and "served N" (calls answered OK) when stopped with SIGTERM. */
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { POSTED = 16 };

struct bare_call {
        int stage; /* 0: waiting for a call, 1: reply in flight */
        grpc_completion_queue *cq;
        grpc_call *call;
        gpr_timespec deadline;
        grpc_metadata_array md;
        grpc_byte_buffer *payload;
        int cancelled;
};

static grpc_server *server;
static void *method;
static atomic_long served;
static atomic_bool stopping;

static void post(struct bare_call *c)
{
        c->stage = 0;
        c->call = NULL;
        c->payload = NULL;
        grpc_metadata_array_init(&c->md);
        if (atomic_load(&stopping) ||
            grpc_server_request_registered_call(server, method, &c->call, &c->deadline, &c->md,
                                                &c->payload, c->cq, c->cq, c) != GRPC_CALL_OK) {
                grpc_metadata_array_destroy(&c->md);
                free(c);
        }
}

static void *worker(void *arg)
{
        grpc_completion_queue *cq = arg;
        grpc_slice empty = grpc_empty_slice();
        for (;;) {
                grpc_event ev =
                        grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN)
                        return NULL;
                struct bare_call *c = ev.tag;
                if (c->stage == 0 && !ev.success) {
                        grpc_metadata_array_destroy(&c->md);
                        free(c);
                        continue;
                }
                if (c->stage == 0) {
                        c->stage = 1;
                        grpc_op ops[4];
                        memset(ops, 0, sizeof(ops));
                        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
                        ops[1].op = GRPC_OP_SEND_MESSAGE;
                        ops[1].data.send_message.send_message = c->payload;
                        ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
                        ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
                        ops[2].data.send_status_from_server.status_details = &empty;
                        ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
                        ops[3].data.recv_close_on_server.cancelled = &c->cancelled;
                        grpc_call_start_batch(c->call, ops, c->payload ? 4 : 3, c, NULL);
                        /* a fresh request takes this one's place */
                        struct bare_call *next = calloc(1, sizeof(*next));
                        next->cq = cq;
                        post(next);
                        continue;
                }
                if (ev.success && !c->cancelled)
                        atomic_fetch_add(&served, 1);
                if (c->payload)
                        grpc_byte_buffer_destroy(c->payload);
                grpc_metadata_array_destroy(&c->md);
                grpc_call_unref(c->call);
                free(c);
        }
}

int main(int argc, char **argv)
{
        const char *env_threads = getenv("BARE_THREADS");
        int threads = argc > 1 ? atoi(argv[1]) : env_threads ? atoi(env_threads) : 2;
        const char *addr = argc > 2 ? argv[2] : "127.0.0.1:0";
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        grpc_init();
        grpc_arg arg = {.type = GRPC_ARG_INTEGER,
                        .key = (char *)GRPC_ARG_ALLOW_REUSEPORT,
                        .value.integer = 0};
        grpc_channel_args args = {.num_args = 1, .args = &arg};
        server = grpc_server_create(&args, NULL);
        method = grpc_server_register_method(server, "/bookstore.testing.v1.TestService/Echo", NULL,
                                             GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(server, cq, NULL);
        grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
        int port = grpc_server_add_http2_port(server, addr, creds);
        grpc_server_credentials_release(creds);
        if (!port)
                return 1;
        grpc_server_start(server);
        for (int i = 0; i < POSTED; i++) {
                struct bare_call *c = calloc(1, sizeof(*c));
                c->cq = cq;
                post(c);
        }
        pthread_t t[64];
        threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
        for (int i = 0; i < threads; i++)
                pthread_create(&t[i], NULL, worker, cq);
        printf("listening on port %d\n", port);
        fflush(stdout);
        int sig;
        sigwait(&set, &sig);
        atomic_store(&stopping, true);
        grpc_completion_queue *sq = grpc_completion_queue_create_for_pluck(NULL);
        grpc_server_shutdown_and_notify(server, sq, NULL);
        grpc_server_cancel_all_calls(server);
        grpc_completion_queue_pluck(sq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        grpc_completion_queue_shutdown(cq);
        for (int i = 0; i < threads; i++)
                pthread_join(t[i], NULL);
        grpc_server_destroy(server);
        grpc_completion_queue_destroy(cq);
        grpc_completion_queue_shutdown(sq);
        grpc_completion_queue_destroy(sq);
        grpc_shutdown();
        printf("served %ld\n", atomic_load(&served));
        return 0;
}
