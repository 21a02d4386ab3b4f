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
/* The participants' listings for the reconciler (checkout-views-grpc.c). */
struct checkout_views checkout_views_grpc(struct checkout_peers_grpc *ctx);

/* One call to a participant as the coordinator (its SERVICE token, the
 * call's idempotency key and trace); the outcome and "CODE: message" in
 * *ret, the response in *ret_resp on OK only (free it with
 * protobuf_c_message_free_unpacked). */
void checkout_peers_call(struct checkout_peers_grpc *ctx, const struct checkout_call *cc,
                         const char *target, const char *method, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **ret_resp,
                         struct checkout_reply *ret);
