/* Structured logging: one JSON object per line on stderr.
 *
 * Every line has "ts" (RFC 3339, UTC, milliseconds), "level", "service" and
 * "msg"; callers add fields as a jansson object. Lines from many threads
 * never interleave: each is written whole (at most PIPE_BUF bytes per
 * write(2) unless a single line is longer). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set once at start-up, before threads exist. */
void log_set_service(const char *service);
void log_set_min_level(enum log_level level);
/* Parses "debug", "info", "warn" or "error"; -EINVAL otherwise. */
int log_level_from_string(const char *s, enum log_level *ret);

/* From now on, lines below LOG_WARN (the access log's line per call, most of
 * all) are queued and written by a thread of the logger's own, in batches,
 * about a millisecond after they are logged: a call no longer waits for a
 * write(2) of its own. A WARN or ERROR line is written at once, after every
 * line queued before it, so the lines that explain a failure are out before
 * anything else can go wrong. A full queue makes the logging thread write (no
 * line is dropped). What is queued when the process is killed or crashes (at
 * most about a millisecond of INFO lines) is lost; exit() writes it. Call
 * once at start-up, before other threads log. */
int log_start_background_writer(void);
/* Writes what is queued now (a no-op without the background writer). */
void log_flush(void);

/* Steals the reference to fields (which may be NULL). */
/* The trace id of the work this thread does now ("" or NULL: none); every
 * line logged by this thread carries it as "trace_id" until it is cleared. */
void log_set_trace_id(const char *trace_id);
/* This thread's trace id, "" when none: the one place it is kept, so what a
 * thread writes (log lines, events, calls to peers) carries the same trace. */
const char *log_trace_id(void);
void log_emit(enum log_level level, const char *msg, json_t *fields);

/* A line of flat fields written without building a JSON tree (the access
 * log writes one per call): text fields are escaped, numbers are written as
 * integers when is_real is false. Falls back to log_emit for a line longer
 * than a few kilobytes. */
struct log_field {
        const char *key;
        const char *text; /* NULL: the number */
        double number;
        bool is_real;
};
void log_emit_flat(enum log_level level, const char *msg, const struct log_field *fields, size_t n);

/* Convenience: log_msg(LOG_INFO, "listening", "{s:s, s:i}", "addr", a, "port", p)
 * builds fields with json_pack; fmt may be NULL for none. */
void log_msg(enum log_level level, const char *msg, const char *fmt, ...);
