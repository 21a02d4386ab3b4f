/* See peers/common.h. */
#include "peers/common.h"

#include "rpc/pb.h"

Bookstore__Common__V1__RatingSummary *peers_rating_summary(struct rpc_call *call,
                                                           const struct rating_summary *s)
{
        Bookstore__Common__V1__RatingSummary *p =
                rpc_new_message(call, &bookstore__common__v1__rating_summary__descriptor);
        int64_t *stars = rpc_call_alloc(call, RATING_STARS * sizeof(*stars));
        if (!p || !stars)
                return NULL;
        for (int i = 0; i < RATING_STARS; i++)
                stars[i] = s->stars[i];
        p->count = s->count;
        p->average = rating_average(s);
        p->histogram = stars;
        p->n_histogram = RATING_STARS;
        return p;
}
