-- The transactional outbox (libs/events): events written in the same
-- transaction as the change they describe; the relay publishes them in seq
-- order and sets sent_ms once Kafka acknowledged them; sent rows are pruned.
CREATE TABLE outbox (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id CHAR(36) CHARACTER SET ascii NOT NULL UNIQUE,
  topic VARCHAR(128) CHARACTER SET ascii NOT NULL,
  msg_key VARCHAR(128) CHARACTER SET ascii NOT NULL,
  value MEDIUMBLOB NOT NULL,
  created_ms BIGINT NOT NULL,
  sent_ms BIGINT NULL,
  KEY outbox_unsent (sent_ms, seq)
) ENGINE=InnoDB;
