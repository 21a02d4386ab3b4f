-- What the reconciler found: one row per order and kind of divergence,
-- OPEN (1) until it is REPAIRED (2) by the reconciler or RESOLVED (3) by
-- going away; one that comes back is opened again.
CREATE TABLE divergences (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id VARCHAR(64) CHARACTER SET ascii NOT NULL,
  kind TINYINT NOT NULL,
  status TINYINT NOT NULL,
  detail VARCHAR(200) NOT NULL,
  repair VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '',
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  closed_ms BIGINT NOT NULL DEFAULT 0,
  UNIQUE KEY divergences_order_kind (order_id, kind),
  KEY divergences_status (status, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
