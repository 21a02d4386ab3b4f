/* bookstore.review.v1.ReviewService over libs/rpc, with its auth policy. */
#pragma once

#include "review-app.h"
#include "rpc/rpc.h"

int review_grpc_register(struct rpc_server *server, struct review_app *app);
