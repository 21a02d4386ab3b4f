/* The checkout observer port as Prometheus metrics: bookstore_sagas_total
 * {kind, outcome} and bookstore_saga_step_seconds{step, outcome}. */
#pragma once

#include "checkout-ports.h"
#include "metrics/metrics.h"

struct checkout_metrics {
        struct metric_family *sagas, *steps;
};

/* Registers the families; -ENOMEM. */
int checkout_metrics_init(struct checkout_metrics *cm, struct metrics *registry);
struct checkout_observer checkout_observer_metrics(struct checkout_metrics *cm);
