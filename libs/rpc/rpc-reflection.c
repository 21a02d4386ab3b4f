/* Server reflection (grpc.reflection.v1 and v1alpha, which are wire-identical)
 * answered from an embedded FileDescriptorSet built with --include_imports. */
#include "rpc-int.h"

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct refl_file {
        const char *name;
        ProtobufCBinaryData bytes; /* the serialized FileDescriptorProto */
        size_t *deps;              /* indexes into files */
        size_t n_deps;
};

struct refl_symbol {
        char *name; /* fully qualified, no leading dot */
        size_t file;
};

struct rpc_reflection {
        struct rpc_server *server;
        Google__Protobuf__FileDescriptorSet *set;
        struct refl_file *files;
        size_t n_files;
        struct refl_symbol *symbols;
        size_t n_symbols, cap_symbols;
};

void rpc_reflection_free(struct rpc_reflection *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_files; i++) {
                free(r->files[i].bytes.data);
                free(r->files[i].deps);
        }
        free(r->files);
        for (size_t i = 0; i < r->n_symbols; i++)
                free(r->symbols[i].name);
        free(r->symbols);
        if (r->set)
                google__protobuf__file_descriptor_set__free_unpacked(r->set, NULL);
        free(r);
}

/* ---- index ------------------------------------------------------------- */

static int add_symbol(struct rpc_reflection *r, const char *scope, const char *name, size_t file,
                      char **ret_full)
{
        if (r->n_symbols == r->cap_symbols) {
                size_t cap = r->cap_symbols ? r->cap_symbols * 2 : 64;
                struct refl_symbol *s = realloc(r->symbols, cap * sizeof(*s));
                if (!s)
                        return -ENOMEM;
                r->symbols = s;
                r->cap_symbols = cap;
        }
        char *full;
        if (asprintf(&full, "%s%s%s", scope, *scope ? "." : "", name) < 0)
                return -ENOMEM;
        r->symbols[r->n_symbols++] = (struct refl_symbol){.name = full, .file = file};
        if (ret_full)
                *ret_full = full;
        return 0;
}

static int index_message(struct rpc_reflection *r, const char *scope,
                         const Google__Protobuf__DescriptorProto *m, size_t file)
{
        char *full;
        int ret = add_symbol(r, scope, m->name, file, &full);
        for (size_t i = 0; ret == 0 && i < m->n_nested_type; i++)
                ret = index_message(r, full, m->nested_type[i], file);
        for (size_t i = 0; ret == 0 && i < m->n_enum_type; i++)
                ret = add_symbol(r, full, m->enum_type[i]->name, file, NULL);
        return ret;
}

static int index_file(struct rpc_reflection *r, size_t idx)
{
        const Google__Protobuf__FileDescriptorProto *f = r->set->file[idx];
        const char *pkg = f->package ? f->package : "";
        int ret = 0;
        for (size_t i = 0; ret == 0 && i < f->n_message_type; i++)
                ret = index_message(r, pkg, f->message_type[i], idx);
        for (size_t i = 0; ret == 0 && i < f->n_enum_type; i++)
                ret = add_symbol(r, pkg, f->enum_type[i]->name, idx, NULL);
        for (size_t i = 0; ret == 0 && i < f->n_service; i++) {
                char *svc;
                ret = add_symbol(r, pkg, f->service[i]->name, idx, &svc);
                for (size_t m = 0; ret == 0 && m < f->service[i]->n_method; m++)
                        ret = add_symbol(r, svc, f->service[i]->method[m]->name, idx, NULL);
        }
        return ret;
}

static ssize_t find_file(const struct rpc_reflection *r, const char *name)
{
        for (size_t i = 0; i < r->n_files; i++)
                if (!strcmp(r->files[i].name, name))
                        return (ssize_t)i;
        return -1;
}

static ssize_t find_symbol(const struct rpc_reflection *r, const char *name)
{
        if (name[0] == '.')
                name++;
        for (size_t i = 0; i < r->n_symbols; i++)
                if (!strcmp(r->symbols[i].name, name))
                        return (ssize_t)r->symbols[i].file;
        return -1;
}

static int build_index(struct rpc_reflection *r)
{
        r->n_files = r->set->n_file;
        r->files = calloc(r->n_files, sizeof(*r->files));
        if (!r->files)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_files; i++) {
                const Google__Protobuf__FileDescriptorProto *f = r->set->file[i];
                struct refl_file *rf = &r->files[i];
                rf->name = f->name;
                rf->bytes.len = protobuf_c_message_get_packed_size(&f->base);
                rf->bytes.data = malloc(rf->bytes.len ? rf->bytes.len : 1);
                if (!rf->bytes.data)
                        return -ENOMEM;
                protobuf_c_message_pack(&f->base, rf->bytes.data);
                int ret = index_file(r, i);
                if (ret < 0)
                        return ret;
        }
        for (size_t i = 0; i < r->n_files; i++) {
                const Google__Protobuf__FileDescriptorProto *f = r->set->file[i];
                struct refl_file *rf = &r->files[i];
                rf->deps = calloc(f->n_dependency + 1, sizeof(*rf->deps));
                if (!rf->deps)
                        return -ENOMEM;
                for (size_t d = 0; d < f->n_dependency; d++) {
                        ssize_t dep = find_file(r, f->dependency[d]);
                        if (dep < 0)
                                return -ENOENT; /* the set was built without --include_imports */
                        rf->deps[rf->n_deps++] = (size_t)dep;
                }
        }
        return 0;
}

/* ---- answers ----------------------------------------------------------- */

/* The file and everything it imports, transitively, the file first. */
static size_t collect_files(const struct rpc_reflection *r, size_t root, bool *seen,
                            ProtobufCBinaryData *out)
{
        size_t n = 0, stack_len = 0;
        size_t *stack = malloc(r->n_files * sizeof(*stack));
        if (!stack)
                return 0;
        stack[stack_len++] = root;
        seen[root] = true;
        while (stack_len) {
                size_t f = stack[--stack_len];
                out[n++] = r->files[f].bytes;
                for (size_t d = 0; d < r->files[f].n_deps; d++) {
                        size_t dep = r->files[f].deps[d];
                        if (!seen[dep]) {
                                seen[dep] = true;
                                stack[stack_len++] = dep;
                        }
                }
        }
        free(stack);
        return n;
}

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_response;

static int send_error(struct rpc_stream *stream, refl_response *resp, int code, const char *message)
{
        Grpc__Reflection__V1__ErrorResponse err;
        grpc__reflection__v1__error_response__init(&err);
        err.error_code = code;
        err.error_message = (char *)message;
        resp->message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
        resp->error_response = &err;
        return rpc_stream_write(stream, &resp->base);
}

static int send_files(struct rpc_reflection *r, struct rpc_stream *stream, refl_response *resp,
                      ssize_t root, const char *what)
{
        if (root < 0) {
                char msg[300];
                snprintf(msg, sizeof(msg), "%.256s not found", what);
                return send_error(stream, resp, RPC_NOT_FOUND, msg);
        }
        bool *seen = calloc(r->n_files, sizeof(*seen));
        ProtobufCBinaryData *files = calloc(r->n_files, sizeof(*files));
        int ret = -RPC_RESOURCE_EXHAUSTED;
        if (seen && files) {
                Grpc__Reflection__V1__FileDescriptorResponse fdr;
                grpc__reflection__v1__file_descriptor_response__init(&fdr);
                fdr.n_file_descriptor_proto = collect_files(r, (size_t)root, seen, files);
                fdr.file_descriptor_proto = files;
                resp->message_response_case =
                        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
                resp->file_descriptor_response = &fdr;
                ret = rpc_stream_write(stream, &resp->base);
        }
        free(seen);
        free(files);
        return ret;
}

static int send_services(struct rpc_reflection *r, struct rpc_stream *stream, refl_response *resp)
{
        struct rpc_server *s = r->server;
        Grpc__Reflection__V1__ServiceResponse *items = calloc(s->n_services, sizeof(*items));
        Grpc__Reflection__V1__ServiceResponse **ptrs = calloc(s->n_services, sizeof(*ptrs));
        int ret = -RPC_RESOURCE_EXHAUSTED;
        if (items && ptrs) {
                for (size_t i = 0; i < s->n_services; i++) {
                        grpc__reflection__v1__service_response__init(&items[i]);
                        items[i].name = s->service_names[i];
                        ptrs[i] = &items[i];
                }
                Grpc__Reflection__V1__ListServiceResponse list;
                grpc__reflection__v1__list_service_response__init(&list);
                list.n_service = s->n_services;
                list.service = ptrs;
                resp->message_response_case =
                        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
                resp->list_services_response = &list;
                ret = rpc_stream_write(stream, &resp->base);
        }
        free(items);
        free(ptrs);
        return ret;
}

static int answer(struct rpc_reflection *r, struct rpc_stream *stream, refl_request *req)
{
        refl_response resp;
        grpc__reflection__v1__server_reflection_response__init(&resp);
        resp.valid_host = req->host;
        resp.original_request = req;
        switch (req->message_request_case) {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
                return send_services(r, stream, &resp);
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
                return send_files(r, stream, &resp, find_file(r, req->file_by_filename),
                                  req->file_by_filename);
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
                return send_files(r, stream, &resp, find_symbol(r, req->file_containing_symbol),
                                  req->file_containing_symbol);
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE: {
                if (find_symbol(r, req->all_extension_numbers_of_type) < 0)
                        return send_error(stream, &resp, RPC_NOT_FOUND, "type not found");
                /* proto3 contracts declare no extensions */
                Grpc__Reflection__V1__ExtensionNumberResponse ext;
                grpc__reflection__v1__extension_number_response__init(&ext);
                ext.base_type_name = req->all_extension_numbers_of_type;
                resp.message_response_case =
                        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
                resp.all_extension_numbers_response = &ext;
                return rpc_stream_write(stream, &resp.base);
        }
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
                return send_error(stream, &resp, RPC_NOT_FOUND, "no extensions are declared");
        default:
                return send_error(stream, &resp, RPC_INVALID_ARGUMENT,
                                  "empty or unknown reflection request");
        }
}

static int reflection_info(struct rpc_call *call, struct rpc_stream *stream)
{
        struct rpc_reflection *r = rpc_call_service_ctx(call);
        for (;;) {
                ProtobufCMessage *msg;
                int ret = rpc_stream_read(stream, &msg);
                if (ret == 0)
                        return RPC_OK;
                if (ret < 0)
                        return -ret;
                if (answer(r, stream, (refl_request *)msg) < 0)
                        return RPC_CANCELLED;
        }
}

static const struct rpc_method_impl reflection_methods[] = {
        {.name = "ServerReflectionInfo", .stream = reflection_info},
};

int rpc_server_enable_reflection(struct rpc_server *s, const uint8_t *descriptor_set, size_t len)
{
        if (s->reflection)
                return -EEXIST;
        struct rpc_reflection *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->server = s;
        s->reflection = r;
        r->set = google__protobuf__file_descriptor_set__unpack(NULL, len, descriptor_set);
        if (!r->set)
                return -EINVAL;
        int ret = build_index(r);
        if (ret < 0)
                return ret;
        ret = rpc_server_add_service(s, &grpc__reflection__v1__server_reflection__descriptor, NULL,
                                     reflection_methods, 1, r);
        if (ret < 0)
                return ret;
        /* v1alpha has the same messages on the wire; serve it with the v1 code */
        return rpc_server_add_service(s, &grpc__reflection__v1__server_reflection__descriptor,
                                      "grpc.reflection.v1alpha.ServerReflection",
                                      reflection_methods, 1, r);
}
