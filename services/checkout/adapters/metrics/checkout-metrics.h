/* The checkout observer port as Prometheus metrics: bookstore_sagas_total
 * {kind, outcome}, bookstore_saga_step_seconds{step, outcome} and
 * bookstore_sagas_stuck_total{kind, step}. */
#pragma once

#include "checkout-ports.h"
#include "metrics/metrics.h"

struct checkout_metrics {
        struct metric_family *sagas, *steps, *stuck;
};

/* Registers the families; -ENOMEM. */
int checkout_metrics_init(struct checkout_metrics *cm, struct metrics *registry);
struct checkout_observer checkout_observer_metrics(struct checkout_metrics *cm);
