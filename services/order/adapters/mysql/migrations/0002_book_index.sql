-- ListOrders by book (the review service asks whether a customer received
-- a book: their DELIVERED orders with it).
CREATE INDEX order_items_book ON order_items (book_id, order_id);
