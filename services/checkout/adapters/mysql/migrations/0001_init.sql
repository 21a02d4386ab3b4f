-- Sagas of the checkout coordinator, one row each. The state (current step,
-- each step's status, attempts, last error, times) is one JSON document
-- written whole before and after every participant call; the input (items,
-- address, payment token -- a provider token, never card data) is written
-- once. owner/lease_until say which coordinator drives an unfinished saga.
CREATE TABLE sagas (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(36) CHARACTER SET ascii NOT NULL UNIQUE,
  kind TINYINT NOT NULL,
  status TINYINT NOT NULL,
  customer_id VARCHAR(63) CHARACTER SET ascii NOT NULL,
  idempotency_key VARCHAR(72) NOT NULL,
  order_id VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  input TEXT NOT NULL,
  total_currency CHAR(3) CHARACTER SET ascii NOT NULL DEFAULT '',
  total_units BIGINT NOT NULL DEFAULT 0,
  total_nanos INT NOT NULL DEFAULT 0,
  trace_id VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '',
  owner VARCHAR(128) NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  UNIQUE KEY sagas_customer_key (customer_id, idempotency_key),
  KEY sagas_order (order_id, seq),
  KEY sagas_status (status, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
