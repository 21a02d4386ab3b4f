-- The outbox lease (libs/events relay): of all replicas of a service, only
-- the relay holding it publishes (lease_until is on the database's clock, in
-- ms). renewals changes on every renewal, so the renewing UPDATE always
-- reports its row as changed.
CREATE TABLE outbox_relay_lease (
  id TINYINT NOT NULL PRIMARY KEY,
  owner VARCHAR(64) CHARACTER SET ascii NOT NULL,
  lease_until BIGINT NOT NULL,
  renewals BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT INTO outbox_relay_lease (id, owner, lease_until, renewals) VALUES (1, '', 0, 0);
