/* A book's ratings: visible reviews counted by stars. The review service
 * moves it with each change of a review; the catalog keeps the copy the
 * review events carry, the one of the highest version. Pure. */
#pragma once

#include <stdint.h>

enum { RATING_STARS = 5 };

struct rating_summary {
        int64_t count;
        int64_t stars[RATING_STARS]; /* [0]: one star */
        int64_t version;             /* grows with each change of the summary */
};

/* One review's contribution moves from `before` to `after` stars (0: none);
 * a move that changes something bumps the version. */
void rating_move(struct rating_summary *s, int before, int after);
/* The mean of the ratings; 0 when there are none. */
double rating_average(const struct rating_summary *s);
