-- Orders and their lines. Prices are copied from the catalog at creation.
CREATE TABLE orders (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(36) NOT NULL UNIQUE,
  customer_id VARCHAR(63) NOT NULL,
  idempotency_key VARCHAR(64) NULL,
  status TINYINT NOT NULL,
  status_reason VARCHAR(255) NOT NULL DEFAULT '',
  currency CHAR(3) NOT NULL,
  total_units BIGINT NOT NULL,
  total_nanos INT NOT NULL,
  recipient VARCHAR(200) NOT NULL,
  line1 VARCHAR(200) NOT NULL,
  line2 VARCHAR(200) NOT NULL DEFAULT '',
  city VARCHAR(100) NOT NULL,
  postal_code VARCHAR(20) NOT NULL,
  country_code CHAR(2) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE KEY orders_idempotency (customer_id, idempotency_key),
  KEY orders_customer (customer_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE order_items (
  order_id CHAR(36) NOT NULL,
  position INT NOT NULL,
  book_id VARCHAR(63) NOT NULL,
  title VARCHAR(300) NOT NULL,
  seller_id VARCHAR(63) NOT NULL,
  quantity INT NOT NULL,
  unit_units BIGINT NOT NULL,
  unit_nanos INT NOT NULL,
  line_units BIGINT NOT NULL,
  line_nanos INT NOT NULL,
  PRIMARY KEY (order_id, position),
  KEY order_items_seller (seller_id, order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
