-- Stock the partner holds itself: its original goods, and tie-up goods it
-- handles locally.
CREATE TABLE local_stock (
  product_id TEXT PRIMARY KEY,
  on_hand    INTEGER NOT NULL CHECK (on_hand >= 0),
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- Every order a shopper placed here. Local and consult orders are processed
-- here (state is ours); entrusted orders are processed by the main site (state
-- is the main site's, as last heard). A row is written only once the order is
-- really placed, so a failed forward leaves nothing behind.
CREATE TABLE orders (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  number       TEXT NOT NULL UNIQUE,
  mode         TEXT NOT NULL CHECK (mode IN ('local', 'entrust', 'consult')),
  state        TEXT NOT NULL CHECK (state IN ('accepted', 'shipped', 'delivered', 'cancelled')),
  user_id      TEXT NOT NULL,
  user_email   TEXT NOT NULL,
  lines_json   TEXT NOT NULL,
  handling_fee INTEGER NOT NULL DEFAULT 0,
  total        INTEGER NOT NULL CHECK (total >= 0),
  currency     TEXT NOT NULL,
  settlement   TEXT NOT NULL,
  address_json TEXT,
  warehouse    TEXT,
  main_id      TEXT,
  main_number  TEXT,
  idem_key     TEXT NOT NULL UNIQUE,
  cancel_logged INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, seq);

CREATE TABLE order_events (
  order_id TEXT NOT NULL REFERENCES orders (id),
  at       TEXT NOT NULL,
  state    TEXT NOT NULL,
  actor    TEXT NOT NULL
);

-- A user copy, only when the contract grants one: the scrypt hash and the
-- profile, refreshed from the main site at every login and registration.
CREATE TABLE user_copies (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  refreshed_at  TEXT NOT NULL
);
