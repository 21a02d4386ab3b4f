/* libs/metrics: Prometheus metrics for every service -- counters, gauges and
 * histograms with labels, rendered in the text exposition format (0.0.4),
 * plus collectors that add values read at scrape time (pool sizes, process
 * RSS and CPU). Recording is lock-free (atomics); only the first use of a
 * label combination takes the family's lock. Served over HTTP by
 * metrics/http.h. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct metrics;
struct metric_family;
struct metric;

int metrics_new(struct metrics **ret);
void metrics_free(struct metrics *m); /* accepts NULL */

/* Families; label_names is NULL-terminated (NULL or {NULL}: no labels). The
 * strings must outlive the registry. NULL when out of memory. */
struct metric_family *metrics_counter(struct metrics *m, const char *name, const char *help,
                                      const char *const *label_names);
struct metric_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
                                    const char *const *label_names);
/* bounds: the buckets' upper bounds, ascending (+Inf is implied). */
struct metric_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                        const char *const *label_names, const double *bounds,
                                        size_t n_bounds);

/* The series for these label values (one per label name; copied). NULL when
 * out of memory or past the family's limit of distinct series (4096). */
struct metric *metric_child(struct metric_family *f, const char *const *label_values);

void metric_inc(struct metric *c, uint64_t n);          /* counters */
void metric_gauge_add(struct metric *c, int64_t delta); /* gauges */
void metric_gauge_set(struct metric *c, int64_t value);
void metric_observe(struct metric *c, double value); /* histograms */

/* Scrape-time values: fn writes whole families with the functions below. */
struct metrics_writer;
typedef void (*metrics_collect_fn)(void *userdata, struct metrics_writer *w);
int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *userdata);
/* type: "counter" or "gauge". Then one or more samples; labels is the
 * already formatted inside of the braces ("" for none), e.g. `state="idle"`. */
void metrics_write_family(struct metrics_writer *w, const char *name, const char *help,
                          const char *type);
void metrics_write_sample(struct metrics_writer *w, const char *name, const char *labels,
                          double value);

/* The whole registry as exposition text (malloc'd, NUL-terminated). */
char *metrics_render(struct metrics *m, size_t *ret_len);

/* A collector of the standard process metrics: process_cpu_seconds_total,
 * process_resident_memory_bytes, process_virtual_memory_bytes,
 * process_open_fds, process_start_time_seconds (from /proc/self). */
int metrics_add_process_collector(struct metrics *m);
