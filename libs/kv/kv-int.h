/* libs/kv internals shared by the pool and the subscriber. */
#pragma once

#include "kv/kv.h"

/* A new connection with that address, timeouts and password. */
int kv_open_context(const struct kv_config *cfg, redisContext **ret_ctx);
/* The pool's configuration (its strings live as long as the pool). */
const struct kv_config *kv_config_of(const struct kv *kv);
