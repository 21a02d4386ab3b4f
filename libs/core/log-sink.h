/* Private to libs/core: the logger's output (log-sink.c). */
#pragma once

#include "core/log.h"

#include <stddef.h>

/* Writes one or more whole lines (ending in '\n') to stderr, now or, below
 * LOG_WARN once the background writer runs, soon. */
void log_sink_write(const char *line, size_t len, enum log_level level);
