-- Operator tooling. The step a saga is on and its stuck flag become columns
-- (ListSagas filters on them; both are written with the state). Every
-- participant call goes to the saga's journal, every operator action to its
-- audit trail; both are append-only.
ALTER TABLE sagas
  ADD COLUMN step VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '',
  ADD COLUMN stuck TINYINT NOT NULL DEFAULT 0,
  ADD KEY sagas_stuck (stuck, seq),
  ADD KEY sagas_customer (customer_id, seq);

CREATE TABLE saga_attempts (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  saga_id CHAR(36) CHARACTER SET ascii NOT NULL,
  step VARCHAR(32) CHARACTER SET ascii NOT NULL,
  compensation TINYINT NOT NULL,
  outcome TINYINT NOT NULL,
  code VARCHAR(24) CHARACTER SET ascii NOT NULL,
  message VARCHAR(255) NOT NULL,
  started_ms BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  KEY saga_attempts_saga (saga_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE saga_actions (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  saga_id CHAR(36) CHARACTER SET ascii NOT NULL,
  action TINYINT NOT NULL,
  actor VARCHAR(63) NOT NULL,
  reason VARCHAR(255) NOT NULL,
  step VARCHAR(32) CHARACTER SET ascii NOT NULL,
  from_status TINYINT NOT NULL,
  to_status TINYINT NOT NULL,
  at_ms BIGINT NOT NULL,
  KEY saga_actions_saga (saga_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
