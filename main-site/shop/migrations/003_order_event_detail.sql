-- What an operator added to a state: the tracking reference of a shipment, the
-- reason of a cancellation. Shown on the order's page and in the shopper's e-mail.
ALTER TABLE order_events ADD COLUMN detail TEXT;
