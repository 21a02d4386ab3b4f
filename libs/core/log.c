/* JSON-lines logger on jansson; see core/log.h. */
#include "core/log.h"
#include "core/utf8.h"

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

/* Appends text as a JSON string; false when it does not fit. Bytes of an
 * invalid UTF-8 sequence are written as \u00XX so the line stays JSON. */
static bool put_string(char *buf, size_t cap, size_t *at, const char *text)
{
        size_t n = *at;
        bool valid = utf8_valid(text, strlen(text));
        if (n + 1 >= cap)
                return false;
        buf[n++] = '"';
        for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
                if (n + 8 >= cap)
                        return false;
                if (*p == '"' || *p == '\\') {
                        buf[n++] = '\\';
                        buf[n++] = (char)*p;
                } else if (*p < 0x20 || (*p >= 0x80 && !valid)) {
                        n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", *p);
                } else {
                        buf[n++] = (char)*p;
                }
        }
        buf[n++] = '"';
        *at = n;
        return true;
}

static bool put_raw(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(buf + *at, cap - *at, fmt, ap);
        va_end(ap);
        if (w < 0 || (size_t)w >= cap - *at)
                return false;
        *at += (size_t)w;
        return true;
}

static bool put_number(char *buf, size_t cap, size_t *at, double v, bool is_real)
{
        if (!is_real)
                return put_raw(buf, cap, at, "%lld", (long long)v);
        size_t start = *at;
        if (!put_raw(buf, cap, at, "%.6g", v))
                return false;
        /* as jansson writes reals: always with a fraction or an exponent */
        return strpbrk(buf + start, ".e") || put_raw(buf, cap, at, ".0");
}

static json_t *fields_as_json(const struct log_field *f, size_t n)
{
        json_t *o = json_object();
        for (size_t i = 0; o && i < n; i++)
                json_object_set_new(o, f[i].key,
                                    f[i].text      ? json_string(f[i].text)
                                    : f[i].is_real ? json_real(f[i].number)
                                                   : json_integer((json_int_t)f[i].number));
        return o;
}

void log_emit_flat(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
        if (level < log_min_level)
                return;
        char buf[4096], ts[40];
        size_t at = 0;
        format_timestamp(ts, sizeof(ts));
        bool ok = put_raw(buf, sizeof(buf), &at, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":", ts,
                          level_names[level]) &&
                  put_string(buf, sizeof(buf), &at, log_service) &&
                  put_raw(buf, sizeof(buf), &at, ",\"msg\":") &&
                  put_string(buf, sizeof(buf), &at, msg);
        bool has_trace = false;
        for (size_t i = 0; ok && i < n; i++) {
                has_trace |= !strcmp(fields[i].key, "trace_id");
                ok = put_raw(buf, sizeof(buf), &at, ",") &&
                     put_string(buf, sizeof(buf), &at, fields[i].key) &&
                     put_raw(buf, sizeof(buf), &at, ":") &&
                     (fields[i].text ? put_string(buf, sizeof(buf), &at, fields[i].text)
                                     : put_number(buf, sizeof(buf), &at, fields[i].number,
                                                  fields[i].is_real));
        }
        if (ok && thread_trace_id[0] && !has_trace)
                ok = put_raw(buf, sizeof(buf), &at, ",\"trace_id\":") &&
                     put_string(buf, sizeof(buf), &at, thread_trace_id);
        ok = ok && put_raw(buf, sizeof(buf), &at, "}\n");
        if (!ok) {
                log_emit(level, msg, fields_as_json(fields, n));
                return;
        }
        ssize_t w = write(STDERR_FILENO, buf, at);
        (void)w;
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
