-- Each book's rating summary, a copy of the review service's kept from
-- review.* events (the highest rating_version wins; catalog-projections).
ALTER TABLE books
  ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN rating_1 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN rating_2 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN rating_3 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN rating_4 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN rating_5 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN rating_version BIGINT NOT NULL DEFAULT 0;
