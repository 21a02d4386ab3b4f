/* See gateway-codec-protobuf.h: the port's operations are proto_json's. */
#include "gateway-codec-protobuf.h"

static int routes(void *self, int (*fn)(void *, const struct proto_json_route *), void *userdata)
{
        return proto_json_routes(self, fn, userdata);
}

static int request(void *self, const char *type, const char *body, const char *json,
                   size_t json_len, const struct proto_json_param *params, size_t n, void **ret,
                   size_t *ret_len, char *err, size_t err_len)
{
        return proto_json_request(self, type, body, json, json_len, params, n, ret, ret_len, err,
                                  err_len);
}

static int response(void *self, const char *type, const void *bytes, size_t len, char **ret_json)
{
        return proto_json_response(self, type, bytes, len, ret_json);
}

static const struct gateway_codec_ops protobuf_ops = {
        .routes = routes, .request = request, .response = response};

struct gateway_codec gateway_codec_protobuf(struct proto_json *pj)
{
        return (struct gateway_codec){.ops = &protobuf_ops, .self = pj};
}
