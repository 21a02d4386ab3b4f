-- ListReservations (checkout's reconciler) reads reservations by status and
-- by the time they changed, in order id order.
ALTER TABLE reservations
  ADD KEY reservations_status (status, order_id),
  ADD KEY reservations_updated (updated_at);
