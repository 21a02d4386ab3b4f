/* The checkout observer port as Prometheus metrics: bookstore_sagas_total
 * {kind, outcome}, bookstore_saga_step_seconds{step, outcome},
 * bookstore_sagas_stuck_total{kind, step}, bookstore_saga_operator_actions_total
 * {action}, and from the census: bookstore_sagas_open{kind, status, age},
 * bookstore_sagas_stuck{kind}, bookstore_saga_oldest_unfinished_age_seconds; and
 * the reconciler's: bookstore_divergences_open{kind},
 * bookstore_divergences_found_total{kind}, bookstore_divergences_repaired_total
 * {kind}, bookstore_reconcile_passes_total{result}. */
#pragma once

#include "checkout-ports.h"
#include "metrics/metrics.h"

struct checkout_metrics {
        struct metric_family *sagas, *steps, *stuck, *actions, *open, *stuck_now, *oldest;
        struct metric_family *divergences, *divergences_found, *divergences_repaired, *passes;
};

/* Registers the families; -ENOMEM. */
int checkout_metrics_init(struct checkout_metrics *cm, struct metrics *registry);
struct checkout_observer checkout_observer_metrics(struct checkout_metrics *cm);
