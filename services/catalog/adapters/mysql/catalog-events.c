/* Catalog events; see catalog-events.h. */
#include "catalog-events.h"

#include "events/envelope.h"

static int pack(Bookstore__Events__V1__EventEnvelope *env, const char *book_id, int64_t now_ms,
                uint8_t *buf, char event_id[37], struct events_record *ret)
{
        return events_envelope_pack(env, "bookstore.book", "book", book_id, now_ms, buf,
                                    CATALOG_EVENT_MAX, event_id, ret);
}

int catalog_event_created(const struct catalog_book *b, int64_t now_ms, uint8_t *buf,
                          char event_id[37], struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Common__V1__Money price;
        bookstore__common__v1__money__init(&price);
        price.currency_code = (char *)b->price.currency;
        price.units = b->price.units;
        price.nanos = b->price.nanos;
        Bookstore__Events__V1__BookCreated created;
        bookstore__events__v1__book_created__init(&created);
        created.book_id = (char *)b->id;
        created.seller_id = (char *)b->seller_id;
        created.title = (char *)b->title;
        created.price = &price;
        env.type = "book.created";
        env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_BOOK_CREATED;
        env.book_created = &created;
        return pack(&env, b->id, now_ms, buf, event_id, ret);
}

int catalog_event_updated(const char *book_id, const char *const *changed, size_t n, int64_t now_ms,
                          uint8_t *buf, char event_id[37], struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Events__V1__BookUpdated updated;
        bookstore__events__v1__book_updated__init(&updated);
        updated.book_id = (char *)book_id;
        updated.changed_fields = (char **)changed;
        updated.n_changed_fields = n;
        env.type = "book.updated";
        env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_BOOK_UPDATED;
        env.book_updated = &updated;
        return pack(&env, book_id, now_ms, buf, event_id, ret);
}

int catalog_event_status(const char *book_id, enum catalog_status from, enum catalog_status to,
                         int64_t now_ms, uint8_t *buf, char event_id[37], struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Events__V1__BookStatusChanged changed;
        bookstore__events__v1__book_status_changed__init(&changed);
        changed.book_id = (char *)book_id;
        changed.old_status = (char *)catalog_status_name(from);
        changed.new_status = (char *)catalog_status_name(to);
        env.type = "book.status_changed";
        env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_BOOK_STATUS_CHANGED;
        env.book_status_changed = &changed;
        return pack(&env, book_id, now_ms, buf, event_id, ret);
}
