-- Catalog schema: categories and books. Authors are stored joined by U+001F
-- (never part of a name), which keeps author filters a single-table query.
CREATE TABLE categories (
  id CHAR(36) NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY categories_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE books (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(36) NOT NULL UNIQUE,
  title VARCHAR(300) NOT NULL,
  authors TEXT NOT NULL,
  isbn13 CHAR(13) NOT NULL UNIQUE,
  description TEXT NOT NULL,
  category_id CHAR(36) NOT NULL DEFAULT '',
  price_currency CHAR(3) NOT NULL,
  price_units BIGINT NOT NULL,
  price_nanos INT NOT NULL,
  status TINYINT NOT NULL,
  seller_id VARCHAR(63) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY books_category (category_id, seq),
  KEY books_status (status, seq),
  KEY books_seller (seller_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
