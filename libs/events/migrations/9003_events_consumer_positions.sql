-- Consumers (libs/events): how far each consumer group has applied each
-- partition (the next offset to apply), written in the transaction of every
-- effect. A message before the position was applied already: recognised so
-- however old it is, after processed_events rows are pruned, when the group's
-- Kafka offsets were lost or reset and history is read again.
CREATE TABLE consumer_positions (
  consumer VARCHAR(128) CHARACTER SET ascii NOT NULL,
  topic VARCHAR(255) CHARACTER SET ascii NOT NULL,
  kafka_partition INT NOT NULL,
  next_offset BIGINT NOT NULL,
  PRIMARY KEY (consumer, topic, kafka_partition)
) ENGINE=InnoDB;
