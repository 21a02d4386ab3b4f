/* libs/kv internals shared by the pool and the subscriber. */
#pragma once

#include "kv/kv.h"

/* A new connection with the pool's address, timeouts and password. */
int kv_open_context(struct kv *kv, redisContext **ret_ctx);
