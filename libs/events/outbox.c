/* The outbox table; see events/outbox.h. */
#include "events/outbox.h"

const struct db_migration events_outbox_migration = {
        .version = "9000_events_outbox",
        .sql = "CREATE TABLE outbox ("
               "  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
               "  event_id CHAR(36) CHARACTER SET ascii NOT NULL UNIQUE,"
               "  topic VARCHAR(128) CHARACTER SET ascii NOT NULL,"
               "  msg_key VARCHAR(128) CHARACTER SET ascii NOT NULL,"
               "  value MEDIUMBLOB NOT NULL,"
               "  created_ms BIGINT NOT NULL,"
               "  sent_ms BIGINT NULL,"
               "  KEY outbox_unsent (sent_ms, seq)"
               ") ENGINE=InnoDB",
};

int events_outbox_append(struct db_conn *conn, const struct events_record *r)
{
        struct db_value v[] = {db_text(r->event_id), db_text(r->topic), db_text(r->key),
                               db_blob(r->value, r->value_len), db_int(r->created_ms)};
        return db_exec(conn,
                       "INSERT INTO outbox (event_id, topic, msg_key, value, created_ms) "
                       "VALUES (?, ?, ?, ?, ?)",
                       v, 5, NULL, NULL);
}
