-- What a manager added to a state: the tracking reference of a shipment, the
-- reason of a cancellation. Reported to the main site for the shopper's e-mail.
ALTER TABLE order_events ADD COLUMN detail TEXT;
