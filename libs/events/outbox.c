/* The outbox table; see events/outbox.h. */
#include "events/outbox.h"

int events_outbox_append(struct db_conn *conn, const struct events_record *r)
{
        struct db_value v[] = {db_text(r->event_id), db_text(r->topic), db_text(r->key),
                               db_blob(r->value, r->value_len), db_int(r->created_ms)};
        return db_exec(conn,
                       "INSERT INTO outbox (event_id, topic, msg_key, value, created_ms) "
                       "VALUES (?, ?, ?, ?, ?)",
                       v, 5, NULL, NULL);
}
