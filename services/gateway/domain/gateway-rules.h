/* Gateway rules: the HTTP status of a gRPC status (the mapping of Google's
 * API design guide and grpc-gateway) and whether a browser origin may call
 * (CORS). Pure. (The status names are core/status.h's.) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* 200, 400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504. */
int gateway_http_status(int grpc_code);
/* allowed: a comma-separated list of origins ("https://shop.example"), or
 * "*" for any; "" for none. */
bool gateway_origin_allowed(const char *allowed, const char *origin);
/* false with a message a person can act on when the JSON body is not UTF-8:
 * the byte it breaks at and, when it is inside one, the field whose value
 * holds it ("the value of \"title\""). */
bool gateway_body_utf8(const char *json, size_t len, char *message, size_t message_len);
