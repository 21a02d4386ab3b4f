/* The review service's expected outcomes: code, kind (mapped to a gRPC
 * status by the adapter), message. */
#pragma once

#include "core/errors.h"

#define REVIEW_ERRORS(X)                                                                           \
        X(RE_BOOK_ID_INVALID, ERROR_INVALID,                                                       \
          "book_id is required: the id of a book (1 to 63 "                                        \
          "printable ASCII characters)")                                                           \
        X(RE_RATING_INVALID, ERROR_INVALID, "rating must be 1, 2, 3, 4 or 5 (stars)")              \
        X(RE_TEXT_INVALID, ERROR_INVALID,                                                          \
          "text is required: 1 to 2000 characters of UTF-8 (newlines and tabs allowed, no other "  \
          "control characters)")                                                                   \
        X(RE_ANSWER_INVALID, ERROR_INVALID,                                                        \
          "the answer's text is required: 1 to 2000 characters of UTF-8 (newlines and tabs "       \
          "allowed, no other control characters)")                                                 \
        X(RE_REASON_INVALID, ERROR_INVALID,                                                        \
          "reason is required: 1 to 200 bytes of UTF-8 on one line saying why (it is recorded)")   \
        X(RE_ORDER_INVALID, ERROR_INVALID, "order must be one of the REVIEW_ORDER_* values")       \
        X(RE_PAGE_TOKEN_INVALID, ERROR_INVALID,                                                    \
          "page_token is not one this listing issued (a token belongs to one book and order)")     \
        X(RE_REVIEW_NOT_FOUND, ERROR_NOT_FOUND, "no such review")                                  \
        X(RE_NOT_RECEIVED, ERROR_PRECONDITION,                                                     \
          "you can review a book once an order of yours with it was delivered")                    \
        X(RE_ALREADY_REVIEWED, ERROR_CONFLICT,                                                     \
          "you reviewed this book already: change that review (UpdateReview) or delete it first")  \
        X(RE_NOT_AUTHOR, ERROR_DENIED, "only the review's author may change or delete it")         \
        X(RE_NOT_ADMIN, ERROR_DENIED, "only admins hide and show reviews")                         \
        X(RE_NOT_SELLER, ERROR_DENIED, "only the seller of the book may answer its reviews")       \
        X(RE_ALREADY_ANSWERED, ERROR_PRECONDITION,                                                 \
          "this review has its seller's answer already; "                                          \
          "a review is answered once")                                                             \
        X(RE_OWN_REVIEW, ERROR_PRECONDITION, "you cannot mark your own review helpful")            \
        X(RE_BUSY, ERROR_UNAVAILABLE,                                                              \
          "the review kept changing while this change was made; try again")                        \
        X(RE_ORDERS_UNAVAILABLE, ERROR_UNAVAILABLE,                                                \
          "the order service could not say whether you received this book; try again shortly")

enum review_error {
        RE_OK = 0,
        RE_FIRST = 1000,
#define REVIEW_ENUM(code, kind, msg) code,
        REVIEW_ERRORS(REVIEW_ENUM)
#undef REVIEW_ENUM
};

ERROR_TABLE_DECLARE(review);
