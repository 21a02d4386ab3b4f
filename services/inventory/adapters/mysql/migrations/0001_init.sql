-- Inventory schema. CHECK constraints are the last line of defence: stock
-- can never go negative or below what is reserved, whatever the code does.
CREATE TABLE stock (
  book_id VARCHAR(64) NOT NULL PRIMARY KEY,
  on_hand BIGINT NOT NULL,
  reserved BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  CONSTRAINT stock_sane CHECK (reserved >= 0 AND on_hand >= reserved)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

CREATE TABLE reservations (
  order_id VARCHAR(64) NOT NULL PRIMARY KEY,
  status TINYINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

CREATE TABLE reservation_items (
  order_id VARCHAR(64) NOT NULL,
  book_id VARCHAR(64) NOT NULL,
  quantity BIGINT NOT NULL,
  PRIMARY KEY (order_id, book_id)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;
