/* Stock events; see inventory-events.h. */
#include "inventory-events.h"

#include "core/clock.h"
#include "events/envelope.h"

enum { STOCK_EVENT_MAX = 512 };

static int append(struct db_conn *conn, Bookstore__Events__V1__EventEnvelope *env,
                  const char *book_id)
{
        uint8_t buf[STOCK_EVENT_MAX];
        char event_id[37];
        struct events_record rec;
        int r = events_envelope_pack(env, "bookstore.stock", "stock", book_id, clock_realtime_ms(),
                                     buf, sizeof(buf), event_id, &rec);
        return r < 0 ? r : events_outbox_append(conn, &rec);
}

int inventory_append_stock_events(struct db_conn *conn, const struct inventory_level *before,
                                  const struct inventory_level *after)
{
        unsigned events = inventory_stock_events(before, after);
        char *book_id = (char *)after->book_id;
        int r = 0;
        if (events & STOCK_EVENT_CHANGED) {
                Bookstore__Events__V1__EventEnvelope env;
                bookstore__events__v1__event_envelope__init(&env);
                Bookstore__Events__V1__StockChanged changed;
                bookstore__events__v1__stock_changed__init(&changed);
                changed.book_id = book_id;
                changed.on_hand = after->on_hand;
                changed.reserved = after->reserved;
                changed.available = inventory_available(after);
                env.type = "stock.changed";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_CHANGED;
                env.stock_changed = &changed;
                r = append(conn, &env, book_id);
        }
        if (r >= 0 && (events & STOCK_EVENT_DEPLETED)) {
                Bookstore__Events__V1__EventEnvelope env;
                bookstore__events__v1__event_envelope__init(&env);
                Bookstore__Events__V1__StockDepleted depleted;
                bookstore__events__v1__stock_depleted__init(&depleted);
                depleted.book_id = book_id;
                env.type = "stock.depleted";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_DEPLETED;
                env.stock_depleted = &depleted;
                r = append(conn, &env, book_id);
        }
        if (r >= 0 && (events & STOCK_EVENT_REPLENISHED)) {
                Bookstore__Events__V1__EventEnvelope env;
                bookstore__events__v1__event_envelope__init(&env);
                Bookstore__Events__V1__StockReplenished replenished;
                bookstore__events__v1__stock_replenished__init(&replenished);
                replenished.book_id = book_id;
                replenished.available = inventory_available(after);
                env.type = "stock.replenished";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_REPLENISHED;
                env.stock_replenished = &replenished;
                r = append(conn, &env, book_id);
        }
        return r < 0 ? r : 0;
}
