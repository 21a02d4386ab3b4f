-- Consumers (libs/events): the events each consumer group has applied,
-- written in the same transaction as the effect, so a redelivered event is
-- recognised and skipped (rows are pruned after a retention period far longer
-- than any redelivery); and the messages it could not apply (undecodable,
-- or refused by its handler), parked for an operator instead of lost.
CREATE TABLE processed_events (
  consumer VARCHAR(128) CHARACTER SET ascii NOT NULL,
  event_id VARCHAR(64) CHARACTER SET ascii NOT NULL,
  processed_ms BIGINT NOT NULL,
  PRIMARY KEY (consumer, event_id),
  KEY processed_events_age (consumer, processed_ms)
) ENGINE=InnoDB;

CREATE TABLE parked_events (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  consumer VARCHAR(128) CHARACTER SET ascii NOT NULL,
  topic VARCHAR(255) CHARACTER SET ascii NOT NULL,
  kafka_partition INT NOT NULL,
  kafka_offset BIGINT NOT NULL,
  event_id VARCHAR(64) CHARACTER SET ascii NULL,
  reason VARCHAR(512) NOT NULL,
  value MEDIUMBLOB NOT NULL,
  parked_ms BIGINT NOT NULL,
  UNIQUE KEY parked_once (consumer, topic, kafka_partition, kafka_offset)
) ENGINE=InnoDB;
