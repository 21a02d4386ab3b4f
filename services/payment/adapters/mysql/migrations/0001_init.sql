-- Payments, one per order. No card data: only the provider's reference.
CREATE TABLE payments (
  order_id VARCHAR(64) NOT NULL PRIMARY KEY,
  id CHAR(36) NOT NULL UNIQUE,
  customer_id VARCHAR(63) NOT NULL,
  currency CHAR(3) NOT NULL,
  units BIGINT NOT NULL,
  nanos INT NOT NULL,
  status TINYINT NOT NULL,
  decline_reason VARCHAR(63) NOT NULL DEFAULT '',
  provider_reference VARCHAR(63) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY payments_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;
