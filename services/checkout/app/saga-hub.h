/* In-process notifications of saga changes: the runner publishes every state
 * it writes; PlaceOrder and WatchSaga wait for the saga they follow. A
 * coordinator with several replicas also re-reads the store (a saga may run
 * in another process); the hub only makes the local case immediate. */
#pragma once

#include "checkout-ports.h"

#include <stdbool.h>
#include <stdint.h>

struct saga_hub;
struct saga_sub;

int saga_hub_new(struct saga_hub **ret);
void saga_hub_free(struct saga_hub *h); /* no subscriber may be left */
/* Wakes every waiter; saga_hub_wait returns false from then on. */
void saga_hub_close(struct saga_hub *h);

void saga_hub_publish(struct saga_hub *h, const struct checkout_saga *s);

/* NULL when out of memory. */
struct saga_sub *saga_hub_subscribe(struct saga_hub *h, const char *saga_id);
void saga_hub_unsubscribe(struct saga_hub *h, struct saga_sub *sub);
/* Waits up to timeout_ms for a state published after the last one this
 * subscriber took; copies it into ret and returns true, false on timeout or
 * when the hub is closed. */
bool saga_hub_wait(struct saga_hub *h, struct saga_sub *sub, int64_t timeout_ms,
                   struct checkout_saga *ret);
bool saga_hub_closed(struct saga_hub *h);
