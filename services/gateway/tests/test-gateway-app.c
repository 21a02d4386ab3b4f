/* The gateway's use case over the real contract: protobuf's JSON mapping
 * (proto-json.cc) with the embedded descriptor set, and a backend that
 * records what it was sent and answers what the case says. Path variables,
 * query parameters (nested, repeated, bool, enum, int64, Timestamp) and
 * bodies become the request a gRPC client would send; answers become proto3
 * JSON; refusals become the HTTP status and JSON error of their gRPC code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bookstore/catalog/v1/catalog.pb-c.h"
#include "bookstore/checkout/v1/checkout.pb-c.h"
#include "bookstore/order/v1/order.pb-c.h"
#include "gateway-app.h"
#include "gateway-codec-protobuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char bookstore_contract_descriptors[];
extern const size_t bookstore_contract_descriptors_len;

static struct recorder {
        char method[160];
        char authorization[128];
        void *request;
        size_t request_len;
        int calls;
        /* the answer */
        int fail; /* a negative errno: not reached */
        int code; /* gRPC code */
        const char *message;
        void *response; /* packed; copied out */
        size_t response_len;
} rec;

static int record(void *self, const struct gateway_call *call, const void *request, size_t len,
                  void **ret_bytes, size_t *ret_len, int *ret_code, char *message,
                  size_t message_len)
{
        (void)self;
        rec.calls++;
        snprintf(rec.method, sizeof(rec.method), "%s", call->grpc_method);
        snprintf(rec.authorization, sizeof(rec.authorization), "%s",
                 call->authorization ? call->authorization : "");
        free(rec.request);
        rec.request = malloc(len + 1);
        if (len)
                memcpy(rec.request, request, len);
        rec.request_len = len;
        if (rec.fail)
                return rec.fail;
        *ret_code = rec.code;
        snprintf(message, message_len, "%s", rec.message ? rec.message : "");
        *ret_bytes = malloc(rec.response_len + 1);
        if (rec.response_len)
                memcpy(*ret_bytes, rec.response, rec.response_len);
        *ret_len = rec.response_len;
        return 0;
}

/* A stream of rec.stream_messages copies of rec.response, then rec.code. */
static int stream_left;
static int open_stream(void *self, const struct gateway_call *call, const void *request, size_t len,
                       void **ret_stream, int *ret_code, char *message, size_t n)
{
        void *bytes;
        size_t ignored;
        int r = record(self, call, request, len, &bytes, &ignored, ret_code, message, n);
        if (r == 0)
                free(bytes);
        *ret_stream = &stream_left;
        return r;
}

static int next_in_stream(void *self, void *stream, void **ret_bytes, size_t *ret_len,
                          int *ret_code, char *message, size_t n)
{
        (void)self;
        assert_ptr_equal(stream, &stream_left);
        if (stream_left-- > 0) {
                *ret_bytes = malloc(rec.response_len + 1);
                if (rec.response_len)
                        memcpy(*ret_bytes, rec.response, rec.response_len);
                *ret_len = rec.response_len;
                return 1;
        }
        *ret_code = rec.code;
        snprintf(message, n, "%s", rec.message ? rec.message : "");
        return 0;
}

static int closed_streams;
static void close_stream(void *self, void *stream)
{
        (void)self;
        (void)stream;
        closed_streams++;
}

static const struct gateway_backend_ops recorder_ops = {.unary = record,
                                                        .stream_open = open_stream,
                                                        .stream_next = next_in_stream,
                                                        .stream_close = close_stream};

static int token_verdict;
static int check_token(void *self, const char *authorization, char *message, size_t len)
{
        (void)self;
        (void)authorization;
        snprintf(message, len, "invalid token: expired");
        return token_verdict;
}
static const struct gateway_tokens_ops tokens_ops = {.check = check_token};

static bool limit_allows = true;
static int allow(void *self, const char *client, bool *ret)
{
        (void)self;
        (void)client;
        *ret = limit_allows;
        return 0;
}
static const struct gateway_limiter_ops limiter_ops = {.allow = allow};

static struct proto_json *pj;
static struct gateway_app app;

static int setup(void **state)
{
        (void)state;
        char err[256];
        if (proto_json_new(bookstore_contract_descriptors, bookstore_contract_descriptors_len, &pj,
                           err, sizeof(err)) < 0)
                return -1;
        app = (struct gateway_app){.codec = gateway_codec_protobuf(pj),
                                   .backend = {&recorder_ops, NULL},
                                   .tokens = {&tokens_ops, NULL},
                                   .limiter = {&limiter_ops, NULL}};
        return gateway_app_load(&app, err, sizeof(err));
}

static int teardown(void **state)
{
        (void)state;
        gateway_app_free(&app);
        proto_json_free(pj);
        free(rec.request);
        free(rec.response);
        return 0;
}

static void reset(void)
{
        free(rec.request);
        free(rec.response);
        memset(&rec, 0, sizeof(rec));
        token_verdict = 0;
        limit_allows = true;
}

static void answer(const ProtobufCMessage *m)
{
        rec.response_len = protobuf_c_message_get_packed_size(m);
        rec.response = malloc(rec.response_len + 1);
        protobuf_c_message_pack(m, rec.response);
}

static struct gateway_reply serve(const char *method, const char *path, const char *body,
                                  const struct proto_json_param *query, size_t n_query)
{
        struct gateway_request req = {.method = method,
                                      .path = path,
                                      .query = query,
                                      .n_query = n_query,
                                      .body = body,
                                      .body_len = body ? strlen(body) : 0,
                                      .authorization = "Bearer t",
                                      .client = "127.0.0.1"};
        struct gateway_reply out;
        gateway_serve(&app, &req, &out);
        assert_non_null(out.json);
        return out;
}

static void every_annotated_method_is_a_route(void **state)
{
        (void)state;
        assert_true(app.n_routes >= 50);
        bool get_saga_by_order = false, has_place = false;
        for (size_t i = 0; i < app.n_routes; i++) {
                const struct gateway_route *r = &app.routes[i];
                assert_int_equal(r->grpc_method[0], '/');
                /* the one stream: WatchSaga */
                assert_int_equal(r->server_streaming,
                                 !strcmp(r->grpc_method,
                                         "/bookstore.checkout.v1.CheckoutService/WatchSaga"));
                get_saga_by_order |= !strcmp(r->path, "/v1/orders/{order_id}/saga");
                has_place |= !strcmp(r->path, "/v1/checkouts") && !strcmp(r->body, "*");
                /* internal methods have no route */
                assert_null(strstr(r->grpc_method, "ReserveStock"));
                assert_null(strstr(r->grpc_method, "IssueServiceToken"));
        }
        assert_true(get_saga_by_order && has_place);
}

static void path_and_query_become_the_request(void **state)
{
        (void)state;
        reset();
        Bookstore__Catalog__V1__Book book = BOOKSTORE__CATALOG__V1__BOOK__INIT;
        book.id = "b-1";
        book.title = "Ünïcode";
        book.status = BOOKSTORE__CATALOG__V1__BOOK_STATUS__BOOK_STATUS_ON_SALE;
        Bookstore__Common__V1__Money price = BOOKSTORE__COMMON__V1__MONEY__INIT;
        price.currency_code = "EUR";
        price.units = 9007199254740993; /* beyond a double's integers */
        book.price = &price;
        Bookstore__Catalog__V1__GetBookResponse resp =
                BOOKSTORE__CATALOG__V1__GET_BOOK_RESPONSE__INIT;
        resp.book = &book;
        answer(&resp.base);
        struct proto_json_param q[] = {{"fresh", "true"}};
        struct gateway_reply out = serve("GET", "/v1/books/b-1", NULL, q, 1);
        assert_int_equal(out.http_status, 200);
        assert_string_equal(rec.method, "/bookstore.catalog.v1.CatalogService/GetBook");
        assert_string_equal(rec.authorization, "Bearer t"); /* forwarded */
        Bookstore__Catalog__V1__GetBookRequest *got =
                bookstore__catalog__v1__get_book_request__unpack(NULL, rec.request_len,
                                                                 rec.request);
        assert_non_null(got);
        assert_string_equal(got->book_id, "b-1");
        assert_true(got->fresh);
        protobuf_c_message_free_unpacked(&got->base, NULL);
        /* proto3 JSON: lowerCamelCase, enums by name, int64 as a string */
        assert_non_null(strstr(out.json, "\"status\":\"BOOK_STATUS_ON_SALE\""));
        assert_non_null(strstr(out.json, "\"units\":\"9007199254740993\""));
        assert_non_null(strstr(out.json, "\"currencyCode\":\"EUR\""));
        assert_non_null(strstr(out.json, "\"sellerId\":\"\"")); /* defaults printed */
        free(out.json);
}

static void nested_repeated_enum_and_time_parameters(void **state)
{
        (void)state;
        reset();
        Bookstore__Order__V1__ListOrdersResponse resp =
                BOOKSTORE__ORDER__V1__LIST_ORDERS_RESPONSE__INIT;
        answer(&resp.base);
        struct proto_json_param q[] = {{"page.pageSize", "5"},
                                       {"page.page_token", "o42"},
                                       {"status", "ORDER_STATUS_CONFIRMED"},
                                       {"orderIds", "o-1"},
                                       {"order_ids", "o-2"},
                                       {"updatedSince", "2026-12-01T10:00:00Z"}};
        struct gateway_reply out = serve("GET", "/v1/orders", NULL, q, 6);
        assert_int_equal(out.http_status, 200);
        free(out.json);
        Bookstore__Order__V1__ListOrdersRequest *got =
                bookstore__order__v1__list_orders_request__unpack(NULL, rec.request_len,
                                                                  rec.request);
        assert_non_null(got);
        assert_int_equal(got->page->page_size, 5);
        assert_string_equal(got->page->page_token, "o42");
        assert_int_equal(got->status, BOOKSTORE__ORDER__V1__ORDER_STATUS__ORDER_STATUS_CONFIRMED);
        assert_int_equal(got->n_order_ids, 2);
        assert_string_equal(got->order_ids[1], "o-2");
        assert_int_equal(got->updated_since->seconds, 1796119200);
        protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void a_body_and_a_path_variable_make_one_request(void **state)
{
        (void)state;
        reset();
        Bookstore__Checkout__V1__CancelOrderResponse resp =
                BOOKSTORE__CHECKOUT__V1__CANCEL_ORDER_RESPONSE__INIT;
        answer(&resp.base);
        struct gateway_reply out = serve("POST", "/v1/orders/o-9:cancel",
                                         "{\"reason\": \"changed my mind\"}", NULL, 0);
        assert_int_equal(out.http_status, 200);
        free(out.json);
        assert_string_equal(rec.method, "/bookstore.checkout.v1.CheckoutService/CancelOrder");
        Bookstore__Checkout__V1__CancelOrderRequest *got =
                bookstore__checkout__v1__cancel_order_request__unpack(NULL, rec.request_len,
                                                                      rec.request);
        assert_string_equal(got->order_id, "o-9");
        assert_string_equal(got->reason, "changed my mind");
        protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void bad_requests_never_reach_the_service(void **state)
{
        (void)state;
        struct {
                const char *method, *path, *body;
                struct proto_json_param q;
                int http;
                const char *says;
        } cases[] = {
                {"POST", "/v1/checkouts", "{\"itemz\": []}", {0}, 400, "itemz"},
                {"POST", "/v1/checkouts", "{not json", {0}, 400, "JSON body"},
                {"POST", "/v1/checkouts", "[1, 2]", {0}, 400, "JSON body"},
                {"GET", "/v1/books/b-1", NULL, {"color", "red"}, 400, "unknown parameter 'color'"},
                {"GET", "/v1/books/b-1", NULL, {"fresh", "yes"}, 400, "true or false"},
                {"GET", "/v1/orders", NULL, {"page", "5"}, 400, "is a message"},
                {"GET", "/v1/orders", NULL, {"status", "NOPE"}, 400, "parameter"},
                {"GET", "/v1/books/b-1", "{\"x\":1}", {0}, 400, "takes no body"},
                {"GET", "/v1/nowhere", NULL, {0}, 404, "no route GET /v1/nowhere"},
                {"DELETE", "/v1/books/b-1", NULL, {0}, 405, "DELETE is not allowed"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                reset();
                struct gateway_reply out = serve(cases[i].method, cases[i].path, cases[i].body,
                                                 &cases[i].q, cases[i].q.field ? 1 : 0);
                assert_int_equal(out.http_status, cases[i].http);
                assert_int_equal(rec.calls, 0);
                if (!strstr(out.json, cases[i].says))
                        fail_msg("case %zu: %s", i, out.json);
                free(out.json);
        }
}

static void refusals_keep_their_grpc_code_and_message(void **state)
{
        (void)state;
        reset();
        rec.code = 9; /* FAILED_PRECONDITION */
        rec.message = "only a CONFIRMED order can be cancelled";
        struct gateway_reply out = serve("POST", "/v1/orders/o-1:cancel", "{}", NULL, 0);
        assert_int_equal(out.http_status, 400);
        assert_string_equal(out.json, "{\"code\":9,\"status\":\"FAILED_PRECONDITION\","
                                      "\"message\":\"only a CONFIRMED order can be cancelled\"}");
        free(out.json);
        reset();
        rec.fail = -ECONNREFUSED;
        out = serve("GET", "/v1/books/b-1", NULL, NULL, 0);
        assert_int_equal(out.http_status, 503);
        assert_non_null(strstr(out.json, "\"status\":\"UNAVAILABLE\""));
        free(out.json);
        reset();
        token_verdict = 16;
        out = serve("GET", "/v1/users/me", NULL, NULL, 0);
        assert_int_equal(out.http_status, 401);
        assert_non_null(strstr(out.json, "invalid token: expired"));
        assert_int_equal(rec.calls, 0);
        free(out.json);
        reset();
        limit_allows = false;
        out = serve("GET", "/v1/books", NULL, NULL, 0);
        assert_int_equal(out.http_status, 429);
        assert_int_equal(rec.calls, 0);
        free(out.json);
}

static void a_stream_is_a_series_of_events(void **state)
{
        (void)state;
        reset();
        Bookstore__Checkout__V1__Saga saga = BOOKSTORE__CHECKOUT__V1__SAGA__INIT;
        saga.id = "s-1";
        saga.status = BOOKSTORE__CHECKOUT__V1__SAGA_STATUS__SAGA_STATUS_COMPLETED;
        Bookstore__Checkout__V1__WatchSagaResponse resp =
                BOOKSTORE__CHECKOUT__V1__WATCH_SAGA_RESPONSE__INIT;
        resp.saga = &saga;
        answer(&resp.base);
        assert_true(gateway_is_stream(&app, "GET", "/v1/sagas/s-1:watch"));
        assert_false(gateway_is_stream(&app, "GET", "/v1/sagas/s-1"));
        struct gateway_request req = {.method = "GET",
                                      .path = "/v1/sagas/s-1:watch",
                                      .authorization = "Bearer t",
                                      .client = "c"};
        struct gateway_reply out;
        stream_left = 2;
        struct gateway_stream *st = gateway_open(&app, &req, &out);
        assert_non_null(st);
        assert_string_equal(rec.method, "/bookstore.checkout.v1.CheckoutService/WatchSaga");
        char *ev;
        for (int i = 0; i < 2; i++) {
                assert_int_equal(gateway_stream_next(st, &ev), 1);
                assert_true(!strncmp(ev, "data: {", 7));
                assert_non_null(strstr(ev, "\"status\":\"SAGA_STATUS_COMPLETED\""));
                assert_true(ev[strlen(ev) - 1] == '\n' && ev[strlen(ev) - 2] == '\n');
                free(ev);
        }
        assert_int_equal(gateway_stream_next(st, &ev), 0); /* ended OK: no more events */
        gateway_stream_close(st);
        assert_int_equal(closed_streams, 1);
        /* refused before its first message: an HTTP error, no stream */
        reset();
        answer(&resp.base);
        rec.code = 5;
        rec.message = "no such saga";
        stream_left = 0;
        assert_null(gateway_open(&app, &req, &out));
        assert_int_equal(out.http_status, 404);
        assert_string_equal(out.json, "{\"code\":5,\"status\":\"NOT_FOUND\","
                                      "\"message\":\"no such saga\"}");
        free(out.json);
        assert_int_equal(closed_streams, 2);
        /* ended by an error after a message: a last event says so */
        rec.code = 14;
        rec.message = "checkout is stopping";
        stream_left = 1;
        st = gateway_open(&app, &req, &out);
        assert_non_null(st);
        assert_int_equal(gateway_stream_next(st, &ev), 1);
        assert_true(!strncmp(ev, "data: {", 7));
        free(ev);
        assert_int_equal(gateway_stream_next(st, &ev), 1);
        assert_string_equal(ev, "event: error\ndata: {\"code\":14,\"status\":\"UNAVAILABLE\","
                                "\"message\":\"checkout is stopping\"}\n\n");
        free(ev);
        assert_int_equal(gateway_stream_next(st, &ev), 0);
        gateway_stream_close(st);
        /* and a unary answer is refused on it */
        struct gateway_reply unary = serve("GET", "/v1/sagas/s-1:watch", NULL, NULL, 0);
        assert_int_equal(unary.http_status, 501);
        free(unary.json);
}

static void the_openapi_document_lists_every_route(void **state)
{
        (void)state;
        char *doc = NULL;
        assert_int_equal(proto_json_openapi(pj, "t", "v1", &doc), 0);
        for (size_t i = 0; i < app.n_routes; i++) {
                char key[200];
                snprintf(key, sizeof(key), "\"%s\":", app.routes[i].path);
                if (!strstr(doc, key))
                        fail_msg("%s not in the document", app.routes[i].path);
        }
        assert_non_null(strstr(doc, "\"operationId\":\"CheckoutService_GetSaga_2\""));
        assert_non_null(strstr(doc, "\"bookstore.catalog.v1.Book\":"));
        free(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_annotated_method_is_a_route),
                cmocka_unit_test(path_and_query_become_the_request),
                cmocka_unit_test(nested_repeated_enum_and_time_parameters),
                cmocka_unit_test(a_body_and_a_path_variable_make_one_request),
                cmocka_unit_test(bad_requests_never_reach_the_service),
                cmocka_unit_test(refusals_keep_their_grpc_code_and_message),
                cmocka_unit_test(a_stream_is_a_series_of_events),
                cmocka_unit_test(the_openapi_document_lists_every_route),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
