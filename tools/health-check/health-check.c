/* health-check TARGET [SERVICE]: asks TARGET the standard gRPC health check
 * for SERVICE ("" when left out: the whole server) and exits 0 when it
 * answers SERVING, 1 otherwise, printing what it got. Shipped in the image
 * so the chart's `helm test` pod needs no image from elsewhere. */
#include "rpc/client.h"

#include "grpc/health/v1/health.pb-c.h"

#include <stdio.h>
#include <stdlib.h>

#define TIMEOUT_MS 10000

int main(int argc, char **argv)
{
        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: health-check HOST:PORT [SERVICE]\n");
                return 2;
        }
        struct rpc_client *client = NULL;
        if (rpc_client_new(&client) < 0) {
                fprintf(stderr, "health-check: out of memory\n");
                return 1;
        }
        Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        req.service = argc == 3 ? argv[2] : "";
        struct rpc_client_call call = {
                .target = argv[1],
                .method = "/grpc.health.v1.Health/Check",
                .request = &req.base,
                .response_type = &grpc__health__v1__health_check_response__descriptor,
                .timeout_ms = TIMEOUT_MS,
        };
        ProtobufCMessage *resp = NULL;
        struct rpc_client_status status = {0};
        int r = rpc_client_unary(client, &call, &resp, &status);
        int serving = 0;
        if (r < 0 || status.code != 0) {
                fprintf(stderr, "health-check: %s %s: status %d: %s\n", argv[1], req.service,
                        status.code, status.message);
        } else {
                Grpc__Health__V1__HealthCheckResponse *h = (void *)resp;
                const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
                        &grpc__health__v1__health_check_response__serving_status__descriptor,
                        h->status);
                serving = h->status ==
                          GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
                printf("%s %s: %s\n", argv[1], *req.service ? req.service : "(server)",
                       v ? v->name : "UNKNOWN");
        }
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        rpc_client_free(client);
        return serving ? 0 : 1;
}
