/* The names of the gRPC status codes ("INVALID_ARGUMENT", ...), for logs,
 * JSON error bodies and operators. Pure: the codes are gRPC's numbers, with
 * no grpc header needed (libs/rpc's rpc_code_name and the REST gateway use
 * this one table). */
#pragma once

/* "UNKNOWN" for a code out of range. */
const char *grpc_status_name(int code);
