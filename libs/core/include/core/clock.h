/* Monotonic and wall clocks in milliseconds. Thread-safe. */
#pragma once

#include <stdint.h>

int64_t clock_monotonic_ms(void);
int64_t clock_monotonic_us(void);
int64_t clock_realtime_ms(void);
