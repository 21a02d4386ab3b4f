/* JSON-lines logger on jansson; see core/log.h. */
#include "core/log.h"
#include "core/utf8.h"
#include "log-sink.h"

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

/* "2026-12-07T12:48:12.345Z". The part up to the second is formatted once
 * per second per thread: strftime and the time zone conversion cost more
 * than the rest of an access-log line. */
static void format_timestamp(char *buf, size_t len)
{
        static __thread time_t cached_second = -1;
        static __thread char cached[24];
        static __thread size_t cached_len;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (ts.tv_sec != cached_second) {
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
                cached_second = ts.tv_sec;
        }
        long ms = ts.tv_nsec / 1000000;
        if (len < cached_len + 6) { /* callers pass 40 bytes */
                if (len)
                        buf[0] = '\0';
                return;
        }
        memcpy(buf, cached, cached_len);
        char *p = buf + cached_len;
        *p++ = '.';
        *p++ = (char)('0' + ms / 100);
        *p++ = (char)('0' + ms / 10 % 10);
        *p++ = (char)('0' + ms % 10);
        *p++ = 'Z';
        *p = '\0';
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
        log_sink_write(text, n + 1, level);
        free(text);
}

/* Appends len bytes; false when they do not fit. */
static bool put_bytes(char *buf, size_t cap, size_t *at, const char *bytes, size_t len)
{
        if (len >= cap - *at)
                return false;
        memcpy(buf + *at, bytes, len);
        *at += len;
        return true;
}

#define PUT_LITERAL(buf, cap, at, lit) put_bytes(buf, cap, at, lit, sizeof(lit) - 1)

/* Appends text as a JSON string; false when it does not fit. Runs of plain
 * ASCII are copied whole; bytes of an invalid UTF-8 sequence are written as
 * \u00XX so the line stays JSON (validity is checked only when a byte past
 * ASCII shows up). */
static bool put_string(char *buf, size_t cap, size_t *at, const char *text)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = *at;
        int valid = -1; /* unknown until a non-ASCII byte is seen */
        if (n + 1 >= cap)
                return false;
        buf[n++] = '"';
        for (const unsigned char *p = (const unsigned char *)text; *p;) {
                const unsigned char *run = p;
                while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
                        p++;
                size_t len = (size_t)(p - run);
                if (n + len + 8 >= cap)
                        return false;
                memcpy(buf + n, run, len);
                n += len;
                if (!*p)
                        break;
                if (*p >= 0x80 && valid < 0)
                        valid = utf8_valid(text, strlen(text));
                if (*p == '"' || *p == '\\') {
                        buf[n++] = '\\';
                        buf[n++] = (char)*p;
                } else if (*p < 0x20 || !valid) {
                        memcpy(buf + n, "\\u00", 4);
                        buf[n + 4] = hex[*p >> 4];
                        buf[n + 5] = hex[*p & 15];
                        n += 6;
                } else {
                        buf[n++] = (char)*p;
                }
                p++;
        }
        if (n + 1 >= cap)
                return false;
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

/* Decimal digits of v without printf (one per access-log line). */
static bool put_unsigned(char *buf, size_t cap, size_t *at, unsigned long long v)
{
        char digits[24];
        size_t i = sizeof(digits);
        do {
                digits[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        return put_bytes(buf, cap, at, digits + i, sizeof(digits) - i);
}

static bool put_number(char *buf, size_t cap, size_t *at, double v, bool is_real)
{
        if (!is_real) {
                long long i = (long long)v;
                if (i < 0 && !PUT_LITERAL(buf, cap, at, "-"))
                        return false;
                return put_unsigned(buf, cap, at,
                                    i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i);
        }
        if (v >= 0 && v < 1e9) {
                /* six significant digits as %.6g would give (at most six
                 * decimals), trailing zeros dropped but one kept: a real */
                int decimals = 6;
                for (double bound = 1; decimals > 1 && v >= bound * 10; bound *= 10)
                        decimals--;
                unsigned long long scale = 1;
                for (int i = 0; i < decimals; i++)
                        scale *= 10;
                unsigned long long scaled = (unsigned long long)(v * (double)scale + 0.5);
                unsigned long long frac = scaled % scale;
                char digits[8] = {'.'};
                for (int i = decimals; i >= 1; i--, frac /= 10)
                        digits[i] = (char)('0' + frac % 10);
                size_t len = (size_t)decimals + 1;
                while (len > 2 && digits[len - 1] == '0')
                        len--;
                return put_unsigned(buf, cap, at, scaled / scale) &&
                       put_bytes(buf, cap, at, digits, len);
        }
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
        bool ok =
                PUT_LITERAL(buf, sizeof(buf), &at, "{\"ts\":\"") &&
                put_bytes(buf, sizeof(buf), &at, ts, strlen(ts)) &&
                PUT_LITERAL(buf, sizeof(buf), &at, "\",\"level\":\"") &&
                put_bytes(buf, sizeof(buf), &at, level_names[level], strlen(level_names[level])) &&
                PUT_LITERAL(buf, sizeof(buf), &at, "\",\"service\":") &&
                put_string(buf, sizeof(buf), &at, log_service) &&
                PUT_LITERAL(buf, sizeof(buf), &at, ",\"msg\":") &&
                put_string(buf, sizeof(buf), &at, msg);
        bool has_trace = false;
        for (size_t i = 0; ok && i < n; i++) {
                has_trace |= !strcmp(fields[i].key, "trace_id");
                ok = PUT_LITERAL(buf, sizeof(buf), &at, ",") &&
                     put_string(buf, sizeof(buf), &at, fields[i].key) &&
                     PUT_LITERAL(buf, sizeof(buf), &at, ":") &&
                     (fields[i].text ? put_string(buf, sizeof(buf), &at, fields[i].text)
                                     : put_number(buf, sizeof(buf), &at, fields[i].number,
                                                  fields[i].is_real));
        }
        if (ok && thread_trace_id[0] && !has_trace)
                ok = PUT_LITERAL(buf, sizeof(buf), &at, ",\"trace_id\":") &&
                     put_string(buf, sizeof(buf), &at, thread_trace_id);
        ok = ok && PUT_LITERAL(buf, sizeof(buf), &at, "}\n");
        if (!ok) {
                log_emit(level, msg, fields_as_json(fields, n));
                return;
        }
        log_sink_write(buf, at, level);
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
