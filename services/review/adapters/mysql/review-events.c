/* review.* events; see review-mysql.h. Keyed by the book, so that a book's
 * summaries reach a consumer in the order they were made. */
#include "review-mysql.h"

#include "core/clock.h"
#include "events/envelope.h"
#include "events/outbox.h"

enum { REVIEW_EVENT_MAX = 1024 };

int review_append_event(struct db_conn *conn, enum review_change change, const struct review *r,
                        const struct rating_summary *s)
{
        Bookstore__Common__V1__RatingSummary summary;
        bookstore__common__v1__rating_summary__init(&summary);
        int64_t stars[RATING_STARS];
        for (int i = 0; i < RATING_STARS; i++)
                stars[i] = s->stars[i];
        summary.count = s->count;
        summary.average = rating_average(s);
        summary.n_histogram = RATING_STARS;
        summary.histogram = stars;
        Bookstore__Events__V1__ReviewChanged changed;
        bookstore__events__v1__review_changed__init(&changed);
        changed.review_id = (char *)r->id;
        changed.book_id = (char *)r->book_id;
        changed.customer_id = (char *)r->customer_id;
        changed.rating = r->rating;
        changed.summary = &summary;
        changed.summary_version = s->version;
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        env.type = (char *)review_change_event(change);
        env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_REVIEW_CHANGED;
        env.review_changed = &changed;
        uint8_t buf[REVIEW_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        int rc = events_envelope_pack(&env, "bookstore.review", "book", r->book_id,
                                      clock_realtime_ms(), buf, sizeof(buf), event_id, &rec);
        return rc < 0 ? rc : events_outbox_append(conn, &rec);
}
