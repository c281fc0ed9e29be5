-- States of orders placed here not yet acknowledged by the main site, which
-- sends the shopper's e-mail for each and keeps the shopper's one order list.
-- Written in the same transaction as the state itself, so a state is reported
-- at least once whatever crashes; the main site records each (order, state) once.
CREATE TABLE order_reports (
  order_id   TEXT NOT NULL,
  state      TEXT NOT NULL,
  event_json TEXT NOT NULL,
  queued_at  TEXT NOT NULL,
  tries      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, state)
) WITHOUT ROWID;
