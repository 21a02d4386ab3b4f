/* identity's revoker and login limiter in Redis. */
#pragma once

#include "identity-outside.h"
#include "kv/kv.h"

struct identity_revoker identity_revoker_redis(struct kv *kv);
struct identity_limiter identity_limiter_redis(struct kv *kv);
