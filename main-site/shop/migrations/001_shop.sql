-- Stock of tie-up goods lives here, at the main site, whichever site sells them.
-- Seeded from a release's catalog the first time a product appears; from then
-- on only orders, cancellations and the operator change it.
CREATE TABLE stock (
  product_id TEXT PRIMARY KEY,
  on_hand    INTEGER NOT NULL CHECK (on_hand >= 0),
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- Orders the main site processes: its own shoppers' (mode direct) and those a
-- partner entrusted to it (mode entrust).
CREATE TABLE orders (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  number       TEXT GENERATED ALWAYS AS (printf('M-%06d', seq)) VIRTUAL,
  site         TEXT NOT NULL,
  mode         TEXT NOT NULL CHECK (mode IN ('direct', 'entrust')),
  state        TEXT NOT NULL CHECK (state IN ('accepted', 'shipped', 'delivered', 'cancelled')),
  user_id      TEXT NOT NULL,
  user_email   TEXT NOT NULL,
  lines_json   TEXT NOT NULL,
  total        INTEGER NOT NULL CHECK (total >= 0),
  currency     TEXT NOT NULL,
  settlement   TEXT NOT NULL,
  address_json TEXT,
  warehouse    TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX orders_site ON orders (site, seq);
CREATE INDEX orders_user ON orders (user_id, seq);

CREATE TABLE order_events (
  order_id TEXT NOT NULL REFERENCES orders (id),
  at       TEXT NOT NULL,
  state    TEXT NOT NULL,
  actor    TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id);

-- Forwarded requests are exactly-once: the first successful answer to a
-- (site, key) is kept with a hash of the request that produced it.
CREATE TABLE idempotency_keys (
  site         TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  order_id     TEXT NOT NULL REFERENCES orders (id),
  created_at   TEXT NOT NULL,
  PRIMARY KEY (site, key)
) WITHOUT ROWID;

-- Consult mode: what a partner asked and what the main site commanded.
CREATE TABLE consultations (
  id           TEXT PRIMARY KEY,
  site         TEXT NOT NULL,
  at           TEXT NOT NULL,
  lines_json   TEXT NOT NULL,
  command_json TEXT NOT NULL
);
