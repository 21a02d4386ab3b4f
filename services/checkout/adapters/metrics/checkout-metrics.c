/* Saga metrics; see checkout-metrics.h. */
#include "checkout-metrics.h"

#include <errno.h>

/* Step durations, in seconds: 1 ms .. 30 s (a slow participant, retries). */
static const double step_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,    1,     2.5,  5,     10,   30};

static const char *outcome_name(enum saga_outcome o)
{
        switch (o) {
        case SAGA_OUTCOME_OK:
                return "ok";
        case SAGA_OUTCOME_MAYBE_APPLIED:
                return "uncertain";
        case SAGA_OUTCOME_UNREACHED:
                return "unreached";
        case SAGA_OUTCOME_BUSINESS:
                return "refused";
        }
        return "unknown";
}

static void step_done(void *self, const char *step, enum saga_outcome outcome, double seconds)
{
        struct checkout_metrics *cm = self;
        const char *labels[] = {step, outcome_name(outcome)};
        metric_observe(metric_child(cm->steps, labels), seconds);
}

static const char *kind_name(enum checkout_kind kind)
{
        return kind == CHECKOUT_KIND_CANCELLATION ? "cancellation" : "checkout";
}

static void saga_ended(void *self, enum checkout_kind kind, enum saga_status status)
{
        struct checkout_metrics *cm = self;
        const char *labels[] = {kind_name(kind), status == SAGA_COMPLETED     ? "completed"
                                                 : status == SAGA_COMPENSATED ? "compensated"
                                                                              : "failed"};
        metric_inc(metric_child(cm->sagas, labels), 1);
}

static void saga_stuck(void *self, enum checkout_kind kind, const char *step)
{
        struct checkout_metrics *cm = self;
        const char *labels[] = {kind_name(kind), step};
        metric_inc(metric_child(cm->stuck, labels), 1);
}

int checkout_metrics_init(struct checkout_metrics *cm, struct metrics *registry)
{
        static const char *const saga_labels[] = {"kind", "outcome", NULL};
        static const char *const step_labels[] = {"step", "outcome", NULL};
        static const char *const stuck_labels[] = {"kind", "step", NULL};
        cm->sagas = metrics_counter(registry, "bookstore_sagas_total",
                                    "Sagas that ended, by kind and outcome.", saga_labels);
        cm->steps = metrics_histogram(
                registry, "bookstore_saga_step_seconds",
                "Participant calls of saga steps and compensations, by step and outcome "
                "(ok, refused, uncertain, unreached), in seconds.",
                step_labels, step_bounds, sizeof(step_bounds) / sizeof(step_bounds[0]));
        cm->stuck = metrics_counter(registry, "bookstore_sagas_stuck_total",
                                    "Sagas flagged stuck (no progress for "
                                    "BOOKSTORE_CHECKOUT_STUCK_AFTER_MS), by kind and the step "
                                    "or compensation they were stuck at.",
                                    stuck_labels);
        return cm->sagas && cm->steps && cm->stuck ? 0 : -ENOMEM;
}

static const struct checkout_observer_ops metrics_ops = {
        .step_done = step_done, .saga_ended = saga_ended, .saga_stuck = saga_stuck};

struct checkout_observer checkout_observer_metrics(struct checkout_metrics *cm)
{
        return (struct checkout_observer){.ops = &metrics_ops, .self = cm};
}
