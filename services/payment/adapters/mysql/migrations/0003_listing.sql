-- ListPayments (checkout's reconciler) reads payments by status and by the
-- time they changed, in order id order.
ALTER TABLE payments
  ADD KEY payments_status (status, order_id),
  ADD KEY payments_updated (updated_at);
