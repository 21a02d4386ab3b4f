-- A client's idempotency key and a cancellation's key ("cancel:<order id>")
-- live in separate namespaces: a checkout whose key happened to be
-- "cancel:<order>" must not make that order uncancellable.
ALTER TABLE sagas
  DROP INDEX sagas_customer_key,
  ADD UNIQUE KEY sagas_customer_key (customer_id, kind, idempotency_key);
