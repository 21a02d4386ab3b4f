-- Reviews, one per customer and book; the helpful marks (one per user and
-- review); and each book's summary of visible reviews, moved in the same
-- transaction as the review it counts (its version orders the summaries the
-- events carry).
CREATE TABLE reviews (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(36) NOT NULL UNIQUE,
  book_id VARCHAR(63) NOT NULL,
  customer_id VARCHAR(63) NOT NULL,
  seller_id VARCHAR(63) NOT NULL,
  rating TINYINT NOT NULL,
  text TEXT NOT NULL,
  answer TEXT NOT NULL,
  answered_ms BIGINT NOT NULL DEFAULT 0,
  hidden TINYINT NOT NULL DEFAULT 0,
  hidden_reason VARCHAR(255) NOT NULL DEFAULT '',
  helpful BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  version BIGINT NOT NULL,
  UNIQUE KEY reviews_one_per_customer (book_id, customer_id),
  KEY reviews_newest (book_id, seq),
  KEY reviews_helpful (book_id, helpful, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE review_marks (
  review_id CHAR(36) NOT NULL,
  user_id VARCHAR(63) NOT NULL,
  PRIMARY KEY (review_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE book_ratings (
  book_id VARCHAR(63) NOT NULL PRIMARY KEY,
  count BIGINT NOT NULL,
  stars_1 BIGINT NOT NULL,
  stars_2 BIGINT NOT NULL,
  stars_3 BIGINT NOT NULL,
  stars_4 BIGINT NOT NULL,
  stars_5 BIGINT NOT NULL,
  version BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
