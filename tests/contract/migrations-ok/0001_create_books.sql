-- A fixture for the migration runner: two statements in one file.
CREATE TABLE books (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  isbn CHAR(13) NOT NULL UNIQUE,
  title VARCHAR(500) NOT NULL,
  price_units BIGINT NOT NULL,
  rating DOUBLE NULL,
  notes TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX books_title ON books (title);
