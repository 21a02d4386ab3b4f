/* Gateway rules: the HTTP status of a gRPC status (the mapping of Google's
 * API design guide and grpc-gateway), the gRPC status names, and whether a
 * browser origin may call (CORS). Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* 200, 400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504. */
int gateway_http_status(int grpc_code);
/* "INVALID_ARGUMENT", ...; "UNKNOWN" for a code out of range. */
const char *gateway_grpc_status_name(int grpc_code);
/* allowed: a comma-separated list of origins ("https://shop.example"), or
 * "*" for any; "" for none. */
bool gateway_origin_allowed(const char *allowed, const char *origin);
