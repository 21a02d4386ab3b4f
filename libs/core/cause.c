/* Per-thread failure causes; see core/cause.h. */
#include "core/cause.h"

#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>

static __thread char thread_cause[CAUSE_MAX + 1];

void cause_set(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(thread_cause, sizeof(thread_cause), fmt, ap);
        va_end(ap);
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
