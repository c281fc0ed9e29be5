-- A partner's copy of the planned-page orders it forwarded to the main site (the main site owns them and delivers).
CREATE TABLE planned_orders (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  receipt TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX planned_orders_user ON planned_orders (user_id, created_at);
