-- The sales statistics read model (CQRS), fed by order events through the
-- catalog's consumer: units sold and revenue per book, and what the model
-- knows of each order (1 counted, 2 cancelled) so that a cancellation takes
-- back exactly what a confirmation added.
CREATE TABLE book_sales (
  book_id VARCHAR(64) NOT NULL PRIMARY KEY,
  units_sold BIGINT NOT NULL,
  revenue_currency CHAR(3) NOT NULL,
  revenue_units BIGINT NOT NULL,
  revenue_nanos INT NOT NULL,
  updated_ms BIGINT NOT NULL,
  KEY book_sales_rank (units_sold, book_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sales_orders (
  order_id VARCHAR(64) NOT NULL PRIMARY KEY,
  state TINYINT NOT NULL,
  updated_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
