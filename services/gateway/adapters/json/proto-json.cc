// See proto-json.h. protobuf's DescriptorPool, DynamicMessageFactory and
// json_util do the work; this file only walks the contract's descriptors
// (the google.api.http rules, the request's fields for parameters, the
// OpenAPI schemas) and turns statuses into messages for the caller.
#include "proto-json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace pb = google::protobuf;

namespace {

// google.api.http, an extension of MethodOptions (google/api/annotations.proto)
constexpr int kHttpRuleField = 72295728;

struct Route {
        std::string http_method, path, body, grpc_method, request_type, response_type;
        bool server_streaming = false;
};

char *dup(const std::string &s)
{
        char *p = static_cast<char *>(malloc(s.size() + 1));
        if (p)
                memcpy(p, s.c_str(), s.size() + 1);
        return p;
}

void say(char *err, size_t err_len, const std::string &what)
{
        if (err_len)
                snprintf(err, err_len, "%s", what.c_str());
}

const pb::FieldDescriptor *field_named(const pb::Descriptor *d, const std::string &name)
{
        for (int i = 0; i < d->field_count(); i++)
                if (d->field(i)->name() == name || d->field(i)->json_name() == name)
                        return d->field(i);
        return nullptr;
}

bool is_wkt_scalar(const pb::Descriptor *d)
{
        return d->full_name() == "google.protobuf.Timestamp" ||
               d->full_name() == "google.protobuf.Duration";
}

} // namespace

struct proto_json {
        pb::DescriptorPool pool;
        pb::DynamicMessageFactory factory{&pool};
        std::vector<Route> routes;

        const pb::Message *prototype(const std::string &type)
        {
                const pb::Descriptor *d = pool.FindMessageTypeByName(type);
                return d ? factory.GetPrototype(d) : nullptr;
        }

        void add_rule(const pb::MethodDescriptor *m, const pb::Message &rule);
};

void proto_json::add_rule(const pb::MethodDescriptor *m, const pb::Message &rule)
{
        const pb::Reflection *r = rule.GetReflection();
        const pb::Descriptor *d = rule.GetDescriptor();
        Route route;
        for (const char *verb : {"get", "put", "post", "delete", "patch"}) {
                const pb::FieldDescriptor *f = d->FindFieldByName(verb);
                if (f && r->HasField(rule, f)) {
                        route.http_method = verb;
                        for (auto &c : route.http_method)
                                c = static_cast<char>(toupper(c));
                        route.path = r->GetString(rule, f);
                }
        }
        if (!route.path.empty()) {
                route.body = r->GetString(rule, d->FindFieldByName("body"));
                route.grpc_method = "/" + m->service()->full_name() + "/" + m->name();
                route.request_type = m->input_type()->full_name();
                route.response_type = m->output_type()->full_name();
                route.server_streaming = m->server_streaming();
                routes.push_back(route);
        }
        const pb::FieldDescriptor *more = d->FindFieldByName("additional_bindings");
        for (int i = 0; more && i < r->FieldSize(rule, more); i++)
                add_rule(m, r->GetRepeatedMessage(rule, more, i));
}

extern "C" int proto_json_new(const void *descriptor_set, size_t len, struct proto_json **ret,
                              char *err, size_t err_len)
{
        pb::FileDescriptorSet set;
        if (!set.ParseFromArray(descriptor_set, static_cast<int>(len))) {
                say(err, err_len, "the descriptor set does not parse");
                return -EINVAL;
        }
        std::unique_ptr<proto_json> pj(new (std::nothrow) proto_json);
        if (!pj)
                return -ENOMEM;
        for (const auto &file : set.file()) // protoc writes dependencies first
                if (!pj->pool.BuildFile(file)) {
                        say(err, err_len, "cannot load " + file.name());
                        return -EINVAL;
                }
        const pb::Message *rule_type = pj->prototype("google.api.HttpRule");
        for (const auto &file : set.file()) {
                if (file.package().rfind("bookstore.", 0) != 0 ||
                    file.package() == "bookstore.testing.v1")
                        continue;
                const pb::FileDescriptor *fd = pj->pool.FindFileByName(file.name());
                for (int s = 0; fd && s < fd->service_count(); s++)
                        for (int i = 0; i < fd->service(s)->method_count(); i++) {
                                const pb::MethodDescriptor *m = fd->service(s)->method(i);
                                const pb::MethodOptions &o = m->options();
                                const pb::UnknownFieldSet &u =
                                        o.GetReflection()->GetUnknownFields(o);
                                for (int k = 0; k < u.field_count(); k++) {
                                        const pb::UnknownField &f = u.field(k);
                                        if (f.number() != kHttpRuleField ||
                                            f.type() != pb::UnknownField::TYPE_LENGTH_DELIMITED)
                                                continue;
                                        if (!rule_type) {
                                                say(err, err_len,
                                                    "routes need google/api/http.proto in the "
                                                    "descriptor set");
                                                return -EINVAL;
                                        }
                                        std::unique_ptr<pb::Message> rule(rule_type->New());
                                        if (!rule->ParseFromString(f.length_delimited())) {
                                                say(err, err_len,
                                                    "the HTTP rule of " + m->full_name() +
                                                            " does not parse");
                                                return -EINVAL;
                                        }
                                        pj->add_rule(m, *rule);
                                }
                        }
        }
        *ret = pj.release();
        return 0;
}

extern "C" void proto_json_free(struct proto_json *pj)
{
        delete pj;
}

extern "C" int proto_json_routes(struct proto_json *pj,
                                 int (*fn)(void *userdata, const struct proto_json_route *r),
                                 void *userdata)
{
        for (const Route &r : pj->routes) {
                struct proto_json_route c = {r.http_method.c_str(),   r.path.c_str(),
                                             r.body.c_str(),          r.grpc_method.c_str(),
                                             r.request_type.c_str(),  r.response_type.c_str(),
                                             r.server_streaming};
                int rc = fn(userdata, &c);
                if (rc)
                        return rc;
        }
        return 0;
}

namespace {

// Puts one parameter into the JSON object of parameters, by the field's
// type: a bool as true/false, anything else as a string (the JSON mapping
// takes numbers, enums and timestamps as strings); repeated fields collect.
bool add_param(const pb::Descriptor *d, pb::Struct *obj, const std::string &path,
               const std::string &value, std::string *why)
{
        size_t dot = path.find('.');
        std::string head = path.substr(0, dot);
        const pb::FieldDescriptor *f = field_named(d, head);
        if (!f) {
                *why = "unknown parameter '" + head + "'";
                return false;
        }
        auto &fields = *obj->mutable_fields();
        const std::string key = f->json_name();
        bool message = f->type() == pb::FieldDescriptor::TYPE_MESSAGE;
        if (dot != std::string::npos) {
                if (!message || f->is_repeated() || is_wkt_scalar(f->message_type())) {
                        *why = "'" + head + "' has no fields to set";
                        return false;
                }
                return add_param(f->message_type(), fields[key].mutable_struct_value(),
                                 path.substr(dot + 1), value, why);
        }
        if (message && !is_wkt_scalar(f->message_type())) {
                *why = "'" + head + "' is a message: set its fields (" + head + ".<field>=...)";
                return false;
        }
        pb::Value v;
        if (f->type() == pb::FieldDescriptor::TYPE_BOOL) {
                if (value != "true" && value != "false") {
                        *why = "'" + head + "' is true or false";
                        return false;
                }
                v.set_bool_value(value == "true");
        } else {
                v.set_string_value(value);
        }
        if (f->is_repeated())
                *fields[key].mutable_list_value()->add_values() = v;
        else
                fields[key] = v;
        return true;
}

std::string status_text(const pb::util::Status &s)
{
        return std::string(s.message());
}

bool blank(const char *json, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isspace(static_cast<unsigned char>(json[i])))
                        return false;
        return true;
}

} // namespace

extern "C" int proto_json_request(struct proto_json *pj, const char *request_type,
                                  const char *body, const char *json, size_t json_len,
                                  const struct proto_json_param *params, size_t n_params,
                                  void **ret, size_t *ret_len, char *err, size_t err_len)
{
        const pb::Message *proto = pj->prototype(request_type);
        if (!proto) {
                say(err, err_len, std::string("no message type ") + request_type);
                return -EINVAL;
        }
        const pb::Descriptor *d = proto->GetDescriptor();
        std::unique_ptr<pb::Message> msg(proto->New());
        pb::util::JsonParseOptions strict; // unknown fields refused
        bool has_body = json && !blank(json, json_len);
        if (has_body && !*body) {
                say(err, err_len, "this route takes no body; send its fields as query parameters");
                return -EINVAL;
        }
        if (has_body) {
                std::string text(json, json_len);
                if (strcmp(body, "*") != 0) {
                        const pb::FieldDescriptor *f = field_named(d, body);
                        if (!f) {
                                say(err, err_len, std::string("the route's body field ") + body +
                                                          " is not in " + request_type);
                                return -EINVAL;
                        }
                        text = "{\"" + f->json_name() + "\":" + text + "}";
                }
                pb::util::Status s = pb::util::JsonStringToMessage(text, msg.get(), strict);
                if (!s.ok()) {
                        say(err, err_len, "the JSON body is not a " + d->name() + ": " +
                                                  status_text(s));
                        return -EINVAL;
                }
        }
        if (n_params) {
                pb::Struct obj;
                std::string why;
                for (size_t i = 0; i < n_params; i++)
                        if (!add_param(d, &obj, params[i].field, params[i].value, &why)) {
                                say(err, err_len, why);
                                return -EINVAL;
                        }
                std::string text;
                pb::util::MessageToJsonString(obj, &text);
                std::unique_ptr<pb::Message> from_params(proto->New());
                pb::util::Status s = pb::util::JsonStringToMessage(text, from_params.get(), strict);
                if (!s.ok()) {
                        say(err, err_len, "a path or query parameter does not fit " + d->name() +
                                                  ": " + status_text(s));
                        return -EINVAL;
                }
                msg->MergeFrom(*from_params);
        }
        std::string bytes;
        if (!msg->SerializeToString(&bytes))
                return -ENOMEM;
        void *out = malloc(bytes.size() ? bytes.size() : 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, bytes.data(), bytes.size());
        *ret = out;
        *ret_len = bytes.size();
        return 0;
}

extern "C" int proto_json_response(struct proto_json *pj, const char *response_type,
                                   const void *bytes, size_t len, char **ret_json)
{
        const pb::Message *proto = pj->prototype(response_type);
        if (!proto)
                return -EINVAL;
        std::unique_ptr<pb::Message> msg(proto->New());
        if (!msg->ParseFromArray(bytes, static_cast<int>(len)))
                return -EINVAL;
        pb::util::JsonPrintOptions opts;
        opts.always_print_primitive_fields = true;
        std::string text;
        if (!pb::util::MessageToJsonString(*msg, &text, opts).ok())
                return -EINVAL;
        *ret_json = dup(text);
        return *ret_json ? 0 : -ENOMEM;
}

// ---- OpenAPI ---------------------------------------------------------------

namespace {

// The member key of the JSON object v (made an object if it is not one).
pb::Value &at(pb::Value &v, const std::string &key)
{
        return (*v.mutable_struct_value()->mutable_fields())[key];
}

pb::Value str(const std::string &s)
{
        pb::Value v;
        v.set_string_value(s);
        return v;
}

std::string ref_name(const pb::Descriptor *d)
{
        return d->full_name();
}

pb::Value schema_of_field(const pb::FieldDescriptor *f, std::set<const pb::Descriptor *> *need);

pb::Value scalar_schema(const pb::FieldDescriptor *f, std::set<const pb::Descriptor *> *need)
{
        pb::Value v;
        auto &s = *v.mutable_struct_value()->mutable_fields();
        switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_INT32:
        case pb::FieldDescriptor::CPPTYPE_UINT32:
                s["type"] = str("integer");
                s["format"] = str("int32");
                break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
        case pb::FieldDescriptor::CPPTYPE_UINT64:
                s["type"] = str("string"); // the JSON mapping's 64-bit integers
                s["format"] = str("int64");
                break;
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        case pb::FieldDescriptor::CPPTYPE_FLOAT:
                s["type"] = str("number");
                break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
                s["type"] = str("boolean");
                break;
        case pb::FieldDescriptor::CPPTYPE_ENUM: {
                s["type"] = str("string");
                pb::ListValue *values = s["enum"].mutable_list_value();
                for (int i = 0; i < f->enum_type()->value_count(); i++)
                        *values->add_values() = str(f->enum_type()->value(i)->name());
                break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
                if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
                        s["type"] = str("string");
                        s["format"] = str("date-time");
                } else {
                        need->insert(f->message_type());
                        s["$ref"] = str("#/components/schemas/" + ref_name(f->message_type()));
                }
                break;
        default:
                s["type"] = str("string");
                if (f->type() == pb::FieldDescriptor::TYPE_BYTES)
                        s["format"] = str("byte");
        }
        return v;
}

pb::Value schema_of_field(const pb::FieldDescriptor *f, std::set<const pb::Descriptor *> *need)
{
        if (!f->is_repeated())
                return scalar_schema(f, need);
        pb::Value v;
        auto &s = *v.mutable_struct_value()->mutable_fields();
        s["type"] = str("array");
        s["items"] = scalar_schema(f, need);
        return v;
}

pb::Value message_schema(const pb::Descriptor *d, std::set<const pb::Descriptor *> *need)
{
        pb::Value v;
        auto &s = *v.mutable_struct_value()->mutable_fields();
        s["type"] = str("object");
        auto &props = *s["properties"].mutable_struct_value()->mutable_fields();
        for (int i = 0; i < d->field_count(); i++)
                props[d->field(i)->json_name()] = schema_of_field(d->field(i), need);
        s["additionalProperties"].set_bool_value(false);
        return v;
}

void add_param_docs(pb::ListValue *out, const pb::Descriptor *d, const std::string &prefix,
                    const std::set<std::string> &in_path, int depth)
{
        for (int i = 0; i < d->field_count(); i++) {
                const pb::FieldDescriptor *f = d->field(i);
                std::string name = prefix + f->name();
                if (in_path.count(name))
                        continue;
                if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
                    !is_wkt_scalar(f->message_type())) {
                        if (!f->is_repeated() && depth == 0)
                                add_param_docs(out, f->message_type(), name + ".", in_path, 1);
                        continue;
                }
                std::set<const pb::Descriptor *> ignore;
                pb::Value p;
                auto &m = *p.mutable_struct_value()->mutable_fields();
                m["name"] = str(name);
                m["in"] = str("query");
                m["schema"] = schema_of_field(f, &ignore);
                *out->add_values() = p;
        }
}

} // namespace

extern "C" int proto_json_openapi(struct proto_json *pj, const char *title, const char *version,
                                  char **ret_json)
{
        pb::Struct doc;
        auto &top = *doc.mutable_fields();
        top["openapi"] = str("3.0.3");
        auto &info = *top["info"].mutable_struct_value()->mutable_fields();
        info["title"] = str(title);
        info["version"] = str(version);
        auto &paths = *top["paths"].mutable_struct_value()->mutable_fields();
        std::set<const pb::Descriptor *> need;
        std::map<std::string, int> operations;
        for (const Route &r : pj->routes) {
                const pb::Descriptor *in = pj->pool.FindMessageTypeByName(r.request_type);
                const pb::Descriptor *out = pj->pool.FindMessageTypeByName(r.response_type);
                if (!in || !out)
                        continue;
                std::string verb = r.http_method;
                for (auto &c : verb)
                        c = static_cast<char>(tolower(c));
                pb::Value &op = at(paths[r.path], verb);
                std::string service = r.grpc_method.substr(1, r.grpc_method.rfind('/') - 1);
                std::string method = r.grpc_method.substr(r.grpc_method.rfind('/') + 1);
                std::string short_service = service.substr(service.rfind('.') + 1);
                std::string id = short_service + "_" + method;
                int same = operations[id]++; /* additional bindings: _2, _3, ... */
                at(op, "operationId") = str(same ? id + "_" + std::to_string(same + 1) : id);
                *at(op, "tags").mutable_list_value()->add_values() = str(short_service);
                at(op, "x-grpc-method") = str(r.grpc_method);
                if (r.server_streaming)
                        at(op, "description") =
                                str("A stream: text/event-stream, one event per message.");
                pb::ListValue *params = at(op, "parameters").mutable_list_value();
                std::set<std::string> in_path;
                for (size_t from = r.path.find('{'); from != std::string::npos;
                     from = r.path.find('{', from + 1)) {
                        std::string name =
                                r.path.substr(from + 1, r.path.find('}', from) - from - 1);
                        if (name.size() > 2 && name.compare(name.size() - 2, 2, "=*") == 0)
                                name.resize(name.size() - 2);
                        in_path.insert(name);
                        pb::Value p;
                        at(p, "name") = str(name);
                        at(p, "in") = str("path");
                        at(p, "required").set_bool_value(true);
                        at(at(p, "schema"), "type") = str("string");
                        *params->add_values() = p;
                }
                if (r.body.empty()) {
                        add_param_docs(params, in, "", in_path, 0);
                } else {
                        need.insert(in);
                        pb::Value &body = at(op, "requestBody");
                        at(body, "required").set_bool_value(true);
                        at(at(at(at(body, "content"), "application/json"), "schema"), "$ref") =
                                str("#/components/schemas/" + ref_name(in));
                }
                need.insert(out);
                pb::Value &responses = at(op, "responses");
                pb::Value &ok = at(responses, "200");
                at(ok, "description") = str("OK");
                at(at(at(at(ok, "content"),
                         r.server_streaming ? "text/event-stream" : "application/json"),
                      "schema"),
                   "$ref") = str("#/components/schemas/" + ref_name(out));
                pb::Value &fail = at(responses, "default");
                at(fail, "description") = str("An error: the gRPC status as JSON");
                at(at(at(at(fail, "content"), "application/json"), "schema"), "$ref") =
                        str("#/components/schemas/Error");
        }
        pb::Value components;
        pb::Value &schemas = at(components, "schemas");
        std::set<const pb::Descriptor *> done;
        while (!need.empty()) {
                const pb::Descriptor *d = *need.begin();
                need.erase(need.begin());
                if (!d || done.count(d))
                        continue;
                done.insert(d);
                at(schemas, ref_name(d)) = message_schema(d, &need);
        }
        pb::Value &error = at(schemas, "Error");
        at(error, "type") = str("object");
        for (const char *name : {"code", "status", "message"})
                at(at(at(error, "properties"), name), "type") =
                        str(strcmp(name, "code") ? "string" : "integer");
        top["components"] = components;
        std::string text;
        if (!pb::util::MessageToJsonString(doc, &text).ok())
                return -EINVAL;
        *ret_json = dup(text);
        return *ret_json ? 0 : -ENOMEM;
}
