/* Per-thread failure causes; see core/cause.h. */
#include "core/cause.h"

#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char thread_cause[CAUSE_MAX + 1];

void cause_set_at(const char *file, int line, const char *fmt, ...)
{
        char text[CAUSE_MAX + 1];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        const char *rel = strstr(file, "libs/"); /* the path within the repository */
        snprintf(thread_cause, sizeof(thread_cause), "%.180s (%s:%d)", text, rel ? rel : file,
                 line);
        utf8_sanitize(thread_cause); /* a cut may split a character; logs are JSON */
}

const char *cause_get(void)
{
        return thread_cause;
}

void cause_clear(void)
{
        thread_cause[0] = '\0';
}
