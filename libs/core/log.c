/* JSON-lines logger on jansson; see core/log.h. */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_service = "bookstore";
static enum log_level log_min_level = LOG_INFO;

static const char *const level_names[] = {
        [LOG_DEBUG] = "debug",
        [LOG_INFO] = "info",
        [LOG_WARN] = "warn",
        [LOG_ERROR] = "error",
};

void log_set_service(const char *service)
{
        log_service = service;
}

void log_set_min_level(enum log_level level)
{
        log_min_level = level;
}

int log_level_from_string(const char *s, enum log_level *ret)
{
        for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
                if (!strcmp(s, level_names[i])) {
                        *ret = (enum log_level)i;
                        return 0;
                }
        }
        return -EINVAL;
}

static void format_timestamp(char *buf, size_t len)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static __thread char thread_trace_id[33];

void log_set_trace_id(const char *trace_id)
{
        snprintf(thread_trace_id, sizeof(thread_trace_id), "%s", trace_id ? trace_id : "");
}

const char *log_trace_id(void)
{
        return thread_trace_id;
}

void log_emit(enum log_level level, const char *msg, json_t *fields)
{
        if (level < log_min_level) {
                json_decref(fields);
                return;
        }
        char ts[40];
        format_timestamp(ts, sizeof(ts));
        json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level],
                                 "service", log_service, "msg", msg);
        if (!line) {
                json_decref(fields);
                return;
        }
        if (fields)
                json_object_update_missing(line, fields);
        json_decref(fields);
        if (thread_trace_id[0] && !json_object_get(line, "trace_id"))
                json_object_set_new(line, "trace_id", json_string(thread_trace_id));
        char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        json_decref(line);
        if (!text)
                return;
        size_t n = strlen(text);
        text[n] = '\n'; /* replaces the terminator: write n + 1 bytes, no copy */
        ssize_t w = write(STDERR_FILENO, text, n + 1);
        (void)w;
        free(text);
}

void log_msg(enum log_level level, const char *msg, const char *fmt, ...)
{
        json_t *fields = NULL;
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                json_error_t err;
                fields = json_vpack_ex(&err, 0, fmt, ap);
                va_end(ap);
        }
        log_emit(level, msg, fields);
}
