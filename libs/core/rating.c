/* See core/rating.h. */
#include "core/rating.h"

void rating_move(struct rating_summary *s, int before, int after)
{
        if (before == after)
                return;
        if (before >= 1 && before <= RATING_STARS) {
                s->stars[before - 1]--;
                s->count--;
        }
        if (after >= 1 && after <= RATING_STARS) {
                s->stars[after - 1]++;
                s->count++;
        }
        s->version++;
}

double rating_average(const struct rating_summary *s)
{
        if (s->count <= 0)
                return 0;
        int64_t sum = 0;
        for (int i = 0; i < RATING_STARS; i++)
                sum += (i + 1) * s->stars[i];
        return (double)sum / (double)s->count;
}
