-- The intent to authorize is stored before the provider is asked (status
-- AUTHORIZING = 6, with the provider token -- never card data -- so whoever
-- comes next can ask again), and a capture, void or refund is claimed in
-- `pending` (action + 1) before the provider hears of it. A row without a
-- customer is a fence: an undo that came before any authorization.
ALTER TABLE payments
  ADD COLUMN token VARCHAR(64) NOT NULL DEFAULT '',
  ADD COLUMN pending TINYINT NOT NULL DEFAULT 0;
