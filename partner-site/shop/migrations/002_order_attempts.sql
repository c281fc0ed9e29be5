-- An entrusted order is written here as an attempt BEFORE it is forwarded, so
-- a lost answer leaves a record: state 'unknown' until the main site says what
-- became of the key (asked by idempotency key), then 'placed' (the order is in
-- orders, order_id) or 'abandoned' (the main site had no order and closed the
-- key). 'failed' means the main site refused it or never received it: the same
-- key may be sent again. While an attempt from a cart is unknown, that cart is
-- locked: no change and no checkout until the attempt is settled.
CREATE TABLE order_attempts (
  idem_key    TEXT PRIMARY KEY,
  ref         TEXT NOT NULL UNIQUE,
  user_id     TEXT NOT NULL,
  log_session TEXT,
  cart_key    TEXT,
  lines_json  TEXT NOT NULL,
  total       INTEGER NOT NULL,
  currency    TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('unknown', 'placed', 'failed', 'abandoned')),
  order_id    TEXT,
  problem     TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX order_attempts_open ON order_attempts (state, cart_key);
CREATE INDEX order_attempts_user ON order_attempts (user_id, state);

-- Whether the main site has acknowledged that this partner recorded an
-- entrusted order (shop.order-confirm); unacknowledged ones are confirmed
-- again in the background. Orders from before confirmations existed: 1.
ALTER TABLE orders ADD COLUMN main_confirmed INTEGER NOT NULL DEFAULT 1;
