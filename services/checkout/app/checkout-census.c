/* The census's buckets; see checkout-ports.h. */
#include "checkout-ports.h"

const int64_t checkout_age_bounds_ms[CHECKOUT_AGE_BUCKETS - 1] = {
        60 * 1000, 5 * 60 * 1000, 60 * 60 * 1000, 24 * 60 * 60 * 1000};
const char *const checkout_age_names[CHECKOUT_AGE_BUCKETS] = {"lt_1m", "1m_5m", "5m_1h", "1h_1d",
                                                              "gt_1d"};
const enum saga_status checkout_census_statuses[CHECKOUT_CENSUS_STATUSES] = {
        SAGA_RUNNING, SAGA_COMPENSATING, SAGA_FAILED};

size_t checkout_age_bucket(int64_t age_ms)
{
        size_t b = 0;
        while (b < CHECKOUT_AGE_BUCKETS - 1 && age_ms >= checkout_age_bounds_ms[b])
                b++;
        return b;
}
