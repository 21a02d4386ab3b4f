/* The checkout participants in process: order, payment and inventory use
 * cases called directly (their apps wired to whatever adapters the caller
 * chose, memory ones in the simulation), each answer mapped to the saga's
 * terms the way the gRPC peers map a status. What a network does to a call
 * is not here: the simulation wraps this port with its faults. */
#pragma once

#include "checkout-ports.h"
#include "inventory-app.h"
#include "order-app.h"
#include "payment-app.h"

struct checkout_peers_memory {
        struct order_app *order;
        struct payment_app *payment;
        struct inventory_app *inventory;
        /* The caller's deadline as the participant sees it: -1 none, 0 passed
         * (a request that arrived late), else ms left. */
        int64_t deadline_left_ms;
};

struct checkout_participants checkout_peers_memory(struct checkout_peers_memory *p);
