/* bookstore.review.v1.ReviewService handlers: proto <-> domain mapping, and
 * the auth policy table (who may call what; the use cases check whose). */
#include "review-grpc.h"

#include "auth/guard.h"
#include "bookstore/review/v1/review.pb-c.h"
#include "peers/common.h"
#include "rpc/pb.h"

#include <stdlib.h>

static int fail(struct rpc_call *call, int r)
{
        return rpc_fail(call, &review_errors, r, NULL,
                        "a dependency (database or order service) is unavailable; retry shortly");
}

#define APP(call) ((struct review_app *)rpc_call_service_ctx(call))

static struct review_caller caller_of(struct rpc_call *call)
{
        const struct auth_principal *p = auth_principal_of(call);
        return (struct review_caller){.subject = p ? p->subject : "",
                                      .role = p ? p->role : 0,
                                      .authorization = rpc_call_metadata(call, "authorization")};
}

static Google__Protobuf__Timestamp *time_of(struct rpc_call *call, int64_t ms)
{
        Google__Protobuf__Timestamp *t = rpc_new_timestamp(call, ms / 1000);
        if (t)
                t->nanos = (int32_t)(ms % 1000) * 1000000;
        return t;
}

static Bookstore__Review__V1__Review *review_to_proto(struct rpc_call *call, const struct review *r)
{
        Bookstore__Review__V1__Review *p =
                rpc_new_message(call, &bookstore__review__v1__review__descriptor);
        if (!p)
                return NULL;
        p->id = rpc_call_strdup(call, r->id);
        p->book_id = rpc_call_strdup(call, r->book_id);
        p->customer_id = rpc_call_strdup(call, r->customer_id);
        p->rating = r->rating;
        p->text = rpc_call_strdup(call, r->text);
        p->helpful_count = r->helpful;
        p->hidden = r->hidden;
        p->hidden_reason = rpc_call_strdup(call, r->hidden_reason);
        p->created_at = time_of(call, r->created_ms);
        p->updated_at = time_of(call, r->updated_ms);
        if (r->answered_ms) {
                Bookstore__Review__V1__ReviewAnswer *a =
                        rpc_new_message(call, &bookstore__review__v1__review_answer__descriptor);
                if (!a)
                        return NULL;
                a->seller_id = rpc_call_strdup(call, r->seller_id);
                a->text = rpc_call_strdup(call, r->answer);
                a->answered_at = time_of(call, r->answered_ms);
                p->answer = a;
        }
        return p; /* a string that could not be copied: the call remembers it */
}

/* The many methods answering one review in a response's field "review". */
static int reply_review(struct rpc_call *call, int r, const struct review *rv,
                        const ProtobufCMessageDescriptor *type, ProtobufCMessage **ret)
{
        if (r != RE_OK)
                return fail(call, r);
        return rpc_reply_with(call, type, "review", review_to_proto(call, rv), ret);
}

static struct review *scratch(struct rpc_call *call)
{
        return rpc_call_alloc(call, sizeof(struct review));
}

static int create_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__CreateReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(
                call, review_create(APP(call), &caller, req->book_id, req->rating, req->text, r), r,
                &bookstore__review__v1__create_review_response__descriptor, ret);
}

static int update_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__UpdateReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(
                call, review_update(APP(call), &caller, req->review_id, req->rating, req->text, r),
                r, &bookstore__review__v1__update_review_response__descriptor, ret);
}

static int delete_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__DeleteReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        int r = review_delete(APP(call), &caller, req->review_id);
        if (r != RE_OK)
                return fail(call, r);
        *ret = rpc_new_message(call, &bookstore__review__v1__delete_review_response__descriptor);
        return *ret ? RPC_OK : rpc_out_of_memory(call);
}

static int get_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__GetReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(call, review_get(APP(call), &caller, req->review_id, r), r,
                            &bookstore__review__v1__get_review_response__descriptor, ret);
}

static int list_reviews(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__ListReviewsRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        int32_t size = req->page ? req->page->page_size : 0;
        if (size < 0)
                return rpc_error(call, RPC_INVALID_ARGUMENT, "page_size must not be negative");
        struct review *list = rpc_call_alloc(call, (REVIEW_PAGE_MAX + 1) * sizeof(*list));
        char next[48];
        size_t n = 0;
        if (!list)
                return rpc_out_of_memory(call);
        int r = review_list(APP(call), &caller, req->book_id, (int)req->order, size,
                            req->page ? req->page->page_token : "", list, &n, next);
        if (r != RE_OK)
                return fail(call, r);
        Bookstore__Review__V1__ListReviewsResponse *resp =
                rpc_new_message(call, &bookstore__review__v1__list_reviews_response__descriptor);
        Bookstore__Common__V1__PageResponse *page =
                rpc_new_message(call, &bookstore__common__v1__page_response__descriptor);
        if (!resp || !page || !(resp->reviews = rpc_call_alloc(call, (n + 1) * sizeof(void *))) ||
            !(page->next_page_token = rpc_call_strdup(call, next)))
                return rpc_out_of_memory(call);
        for (size_t i = 0; i < n; i++)
                if (!(resp->reviews[resp->n_reviews++] = review_to_proto(call, &list[i])))
                        return rpc_out_of_memory(call);
        resp->page = page;
        *ret = &resp->base;
        return RPC_OK;
}

static int get_rating_summary(struct rpc_call *call, const ProtobufCMessage *msg,
                              ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__GetRatingSummaryRequest *req = (const void *)msg;
        struct rating_summary s;
        int r = review_rating(APP(call), req->book_id, &s);
        if (r != RE_OK)
                return fail(call, r);
        return rpc_reply_with(call, &bookstore__review__v1__get_rating_summary_response__descriptor,
                              "rating", peers_rating_summary(call, &s), ret);
}

static int answer_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__AnswerReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(call, review_answer(APP(call), &caller, req->review_id, req->text, r),
                            r, &bookstore__review__v1__answer_review_response__descriptor, ret);
}

static int mark_helpful(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__MarkHelpfulRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(call, review_mark_helpful(APP(call), &caller, req->review_id, r), r,
                            &bookstore__review__v1__mark_helpful_response__descriptor, ret);
}

static int hide_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__HideReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(call, review_hide(APP(call), &caller, req->review_id, req->reason, r),
                            r, &bookstore__review__v1__hide_review_response__descriptor, ret);
}

static int unhide_review(struct rpc_call *call, const ProtobufCMessage *msg, ProtobufCMessage **ret)
{
        const Bookstore__Review__V1__UnhideReviewRequest *req = (const void *)msg;
        struct review_caller caller = caller_of(call);
        struct review *r = scratch(call);
        if (!r)
                return rpc_out_of_memory(call);
        return reply_review(call, review_unhide(APP(call), &caller, req->review_id, r), r,
                            &bookstore__review__v1__unhide_review_response__descriptor, ret);
}

/* Reading is public (a shop's reviews are read before anyone signs in);
 * writing needs the role, and the use cases check whose review it is. */
static const struct rpc_method_impl review_methods[] = {
        {.name = "CreateReview", .unary = create_review, .roles = ROLE_CUSTOMER},
        {.name = "UpdateReview", .unary = update_review, .roles = ROLE_CUSTOMER},
        {.name = "DeleteReview", .unary = delete_review, .roles = ROLE_CUSTOMER},
        {.name = "GetReview",
         .unary = get_review,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "ListReviews",
         .unary = list_reviews,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "GetRatingSummary",
         .unary = get_rating_summary,
         .max_request_bytes = RPC_PUBLIC_REQUEST_BYTES,
         .roles = AUTH_PUBLIC},
        {.name = "AnswerReview", .unary = answer_review, .roles = ROLE_SELLER},
        {.name = "MarkHelpful",
         .unary = mark_helpful,
         .roles = ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN},
        {.name = "HideReview", .unary = hide_review, .roles = ROLE_ADMIN},
        {.name = "UnhideReview", .unary = unhide_review, .roles = ROLE_ADMIN},
};

int review_grpc_register(struct rpc_server *server, struct review_app *app)
{
        return rpc_server_add_service(server, &bookstore__review__v1__review_service__descriptor,
                                      NULL, review_methods,
                                      sizeof(review_methods) / sizeof(review_methods[0]), app);
}
