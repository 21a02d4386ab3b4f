-- Retention: a saga's journal keeps its first and last attempts; the ones
-- in between are deleted and counted here, so GetSaga's total stays every
-- attempt ever made. Finished sagas go after a period (index by status and
-- age); closed divergences likewise.
ALTER TABLE sagas
  ADD COLUMN journal_dropped BIGINT NOT NULL DEFAULT 0,
  ADD KEY sagas_finished (status, updated_ms);
ALTER TABLE divergences
  ADD KEY divergences_closed (status, closed_ms);
