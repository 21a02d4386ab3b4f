/* Saga metrics; see checkout-metrics.h. */
#include "checkout-metrics.h"

#include "core/clock.h"

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

static void operator_action(void *self, enum saga_op op)
{
        struct checkout_metrics *cm = self;
        const char *labels[] = {saga_op_name(op)};
        metric_inc(metric_child(cm->actions, labels), 1);
}

static void status_label(enum saga_status status, char out[16])
{
        const char *name = saga_status_name(status);
        size_t i = 0;
        for (; name[i] && i < 15; i++)
                out[i] = (char)(name[i] | 0x20); /* lower case, as the other labels */
        out[i] = '\0';
}

/* Every series is set at each census, zeros included, so a count that went
 * back to 0 does not keep its old value. */
static void census(void *self, const struct checkout_census *c)
{
        struct checkout_metrics *cm = self;
        for (int k = 0; k < 2; k++) {
                const char *kind = kind_name((enum checkout_kind)(k + 1));
                for (int st = 0; st < CHECKOUT_CENSUS_STATUSES; st++) {
                        char status[16];
                        status_label(checkout_census_statuses[st], status);
                        for (int b = 0; b < CHECKOUT_AGE_BUCKETS; b++) {
                                const char *labels[] = {kind, status, checkout_age_names[b]};
                                metric_gauge_set(metric_child(cm->open, labels),
                                                 c->sagas[k][st][b]);
                        }
                }
                const char *labels[] = {kind};
                metric_gauge_set(metric_child(cm->stuck_now, labels), c->stuck[k]);
        }
        int64_t now_ms = clock_realtime_ms();
        metric_gauge_set(metric_child(cm->oldest, NULL),
                         c->oldest_unfinished_ms ? (now_ms - c->oldest_unfinished_ms) / 1000 : 0);
}

static void reconciled(void *self, const struct checkout_reconcile_report *rep)
{
        struct checkout_metrics *cm = self;
        const char *result[] = {rep ? "ok" : "failed"};
        metric_inc(metric_child(cm->passes, result), 1);
        for (int k = 1; rep && k <= DIVERGENCE_KINDS; k++) {
                const char *labels[] = {divergence_name((enum divergence_kind)k)};
                metric_gauge_set(metric_child(cm->divergences, labels), rep->open[k]);
                metric_inc(metric_child(cm->divergences_found, labels),
                           (uint64_t)rep->found_by_kind[k]);
                metric_inc(metric_child(cm->divergences_repaired, labels),
                           (uint64_t)rep->repaired_by_kind[k]);
        }
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
        static const char *const action_labels[] = {"action", NULL};
        static const char *const open_labels[] = {"kind", "status", "age", NULL};
        static const char *const kind_labels[] = {"kind", NULL};
        cm->actions = metrics_counter(registry, "bookstore_saga_operator_actions_total",
                                      "Operator actions on sagas (retry_now, resume, "
                                      "force_compensate, mark_resolved) this coordinator took.",
                                      action_labels);
        cm->open = metrics_gauge(registry, "bookstore_sagas_open",
                                 "Sagas not over (running, compensating) or left for an operator "
                                 "(failed), by kind, status and age (lt_1m, 1m_5m, 5m_1h, 1h_1d, "
                                 "gt_1d), counted in the database every "
                                 "BOOKSTORE_CHECKOUT_RESUME_INTERVAL_MS.",
                                 open_labels);
        cm->stuck_now = metrics_gauge(registry, "bookstore_sagas_stuck",
                                      "Sagas flagged stuck now, by kind (from the same count).",
                                      kind_labels);
        cm->oldest =
                metrics_gauge(registry, "bookstore_saga_oldest_unfinished_age_seconds",
                              "Age of the oldest running or compensating saga (0: none).", NULL);
        static const char *const result_labels[] = {"result", NULL};
        cm->divergences = metrics_gauge(registry, "bookstore_divergences_open",
                                        "Divergences the reconciler found and that are still "
                                        "there, by kind (as of its last pass).",
                                        kind_labels);
        cm->divergences_found = metrics_counter(
                registry, "bookstore_divergences_found_total",
                "Divergences this coordinator's reconciler saw first, by kind.", kind_labels);
        cm->divergences_repaired = metrics_counter(
                registry, "bookstore_divergences_repaired_total",
                "Divergences this coordinator's reconciler repaired, by kind.", kind_labels);
        cm->passes =
                metrics_counter(registry, "bookstore_reconcile_passes_total",
                                "Reconciliation passes, by result (ok, failed).", result_labels);
        return cm->sagas && cm->steps && cm->stuck && cm->actions && cm->open && cm->stuck_now &&
                               cm->oldest && cm->divergences && cm->divergences_found &&
                               cm->divergences_repaired && cm->passes
                       ? 0
                       : -ENOMEM;
}

static const struct checkout_observer_ops metrics_ops = {.step_done = step_done,
                                                         .saga_ended = saga_ended,
                                                         .saga_stuck = saga_stuck,
                                                         .operator_action = operator_action,
                                                         .census = census,
                                                         .reconciled = reconciled};

struct checkout_observer checkout_observer_metrics(struct checkout_metrics *cm)
{
        return (struct checkout_observer){.ops = &metrics_ops, .self = cm};
}
