/* What must hold once a simulated world has gone quiet, whatever the faults
 * were: every saga final; money, stock and orders consistent with how each
 * saga ended; nothing held for a saga that was undone. */
#pragma once

#include "sim-world.h"

/* 0 when everything holds; else -1 with the first broken rule in why. */
int sim_check(struct sim_world *w, char *why, size_t why_len);
