/* bookstore.common.v1 messages that several services' gRPC adapters build
 * from the same core type, built one way (in the call's arena). */
#pragma once

#include "bookstore/common/v1/common.pb-c.h"
#include "core/rating.h"
#include "rpc/rpc.h"

/* The RatingSummary of s (average computed, five histogram entries); NULL
 * when the call's arena is full. */
Bookstore__Common__V1__RatingSummary *peers_rating_summary(struct rpc_call *call,
                                                           const struct rating_summary *s);
