/* The checkout participants over gRPC: order, payment, inventory (with the
 * coordinator's SERVICE token from identity's IssueServiceToken, renewed
 * before it expires and whenever a participant refuses it), and identity and
 * order reads done with the customer's own token. */
#pragma once

#include "checkout-ports.h"
#include "rpc/client.h"

#include <pthread.h>
#include <stdbool.h>

struct checkout_peers_grpc {
        struct rpc_client *client;
        const char *identity_target, *order_target, *payment_target, *inventory_target;
        const char *service_name, *service_secret;
        int timeout_ms; /* per call */
        /* the SERVICE token; guarded by lock, which is never held during a call */
        pthread_mutex_t lock;
        char token[2048];
        int64_t token_expires_s;
        bool renewing; /* one caller renews a still-valid token; the others use it */
};

/* ctx must stay valid; call checkout_peers_grpc_init first. */
void checkout_peers_grpc_init(struct checkout_peers_grpc *ctx);
void checkout_peers_grpc_free(struct checkout_peers_grpc *ctx);
struct checkout_participants checkout_peers_grpc(struct checkout_peers_grpc *ctx);
