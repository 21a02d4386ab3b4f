/* The proto3 JSON mapping and the google.api.http rules of the contract,
 * from protobuf's own implementation (libprotobuf, C++) over a descriptor
 * pool loaded from the embedded FileDescriptorSet, behind a C API. All
 * functions are safe to call from many threads once made. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct proto_json;

/* 0, or -EINVAL with why in err. */
int proto_json_new(const void *descriptor_set, size_t len, struct proto_json **ret, char *err,
                   size_t err_len);
void proto_json_free(struct proto_json *pj); /* accepts NULL */

/* One google.api.http binding (the rule or one of its additional_bindings). */
struct proto_json_route {
        const char *http_method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
        const char *path;        /* the template */
        const char *body;        /* "*", a field name, or "" */
        const char *grpc_method; /* "/bookstore.catalog.v1.CatalogService/GetBook" */
        const char *request_type, *response_type; /* full names */
        bool server_streaming;
};

/* Calls fn for every binding of every method of the bookstore services;
 * stops at fn's first non-zero answer and returns it. */
int proto_json_routes(struct proto_json *pj,
                      int (*fn)(void *userdata, const struct proto_json_route *r), void *userdata);

/* A path variable or a query parameter: a field path ("page.page_size",
 * JSON or proto names) and its text. */
struct proto_json_param {
        const char *field;
        const char *value;
};

/* The request message of type request_type, encoded: the JSON body mapped as
 * body says ("*": the whole message; a field name: that field; "": no body,
 * which must then be empty), then every param. 0 with *ret (free()) of
 * *ret_len bytes, or -EINVAL with a message for the caller in err. */
int proto_json_request(struct proto_json *pj, const char *request_type, const char *body,
                       const char *json, size_t json_len, const struct proto_json_param *params,
                       size_t n_params, void **ret, size_t *ret_len, char *err, size_t err_len);

/* The message of type response_type in bytes, as JSON (lowerCamelCase
 * names, default values printed): 0 with *ret_json (free()); -EINVAL when
 * the bytes do not parse. */
int proto_json_response(struct proto_json *pj, const char *response_type, const void *bytes,
                        size_t len, char **ret_json);

/* An OpenAPI 3.0 document of every route, with schemas of their messages:
 * 0 with *ret_json (free()). */
int proto_json_openapi(struct proto_json *pj, const char *title, const char *version,
                       char **ret_json);

#ifdef __cplusplus
}
#endif
