-- The demo delivery service and settlement agent (issue 17): what each was asked, exactly once per idempotency key.
CREATE TABLE coord_deliveries (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash    TEXT NOT NULL,
  reference       TEXT NOT NULL UNIQUE,  -- the supplier order's id
  received_json   TEXT NOT NULL,         -- exactly what the coordinator sent
  state           TEXT NOT NULL CHECK (state IN ('booked', 'cancelled')),
  created_at      TEXT NOT NULL
);

CREATE TABLE coord_authorisations (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash    TEXT NOT NULL,
  payment_ref     TEXT NOT NULL,
  amount          INTEGER NOT NULL CHECK (amount >= 0),
  currency        TEXT NOT NULL,
  captured        INTEGER NOT NULL DEFAULT 0,
  released        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  CHECK (captured + released <= amount)
);

CREATE TABLE coord_settlement_ops (
  idempotency_key  TEXT PRIMARY KEY,
  request_hash     TEXT NOT NULL,
  authorisation_id TEXT NOT NULL REFERENCES coord_authorisations (id),
  kind             TEXT NOT NULL CHECK (kind IN ('capture', 'release')),
  part             TEXT NOT NULL,
  amount           INTEGER NOT NULL CHECK (amount >= 0),
  received_json    TEXT NOT NULL,
  created_at       TEXT NOT NULL
);
