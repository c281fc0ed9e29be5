-- Component coordination at the main site (issue 17): which peers take part and how,
-- the quote rounds, the order groups with one order per supplier, and every step forwarded
-- to a peer with the exact body sent (what the operator's console shows per order).
CREATE TABLE coord_parties (
  peer_id    TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('supplier', 'delivery', 'settlement')),
  added_by   TEXT NOT NULL,
  added_at   TEXT NOT NULL
);

CREATE TABLE coord_quote_sets (
  id           TEXT PRIMARY KEY,
  request_json TEXT NOT NULL,   -- the PlanRequest asked (components, currency)
  quotes_json  TEXT NOT NULL,   -- SupplierQuote[] as answered, plus each supplier's dispatch point
  missing_json TEXT NOT NULL,   -- suppliers named and left out: late, failed
  asked_at     TEXT NOT NULL,
  elapsed_ms   INTEGER NOT NULL
);

CREATE TABLE coord_groups (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  quote_set_id    TEXT NOT NULL,
  priorities_json TEXT NOT NULL,
  contact_json    TEXT NOT NULL,   -- name, address, phone: sent to the delivery service only, the name to pickup suppliers only
  payment_ref     TEXT,
  currency        TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('open', 'payment_declined', 'cancelled')),
  created_at      TEXT NOT NULL,
  UNIQUE (user_id, idempotency_key)
);

CREATE TABLE coord_orders (
  id             TEXT PRIMARY KEY,
  group_id       TEXT NOT NULL REFERENCES coord_groups (id),
  round          INTEGER NOT NULL,
  supplier       TEXT NOT NULL,
  part_json      TEXT NOT NULL,   -- the SupplierPlan as ordered (lines, chosen fulfilment, totals)
  payment        TEXT NOT NULL CHECK (payment IN ('cash_on_delivery', 'electronic')),
  authorisation  TEXT,
  state          TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'refused', 'timed_out', 'failed', 'cancelled')),
  reason         TEXT,
  respond_by     TEXT NOT NULL,
  replaced_in    INTEGER,         -- the round whose orders cover this one's components after a refusal
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX coord_orders_group ON coord_orders (group_id, round);
CREATE INDEX coord_orders_pending ON coord_orders (state, respond_by);

CREATE TABLE coord_steps (
  idempotency_key TEXT PRIMARY KEY,
  group_id        TEXT NOT NULL,
  order_id        TEXT,
  party           TEXT NOT NULL,   -- the peer's id ('main' for the central stock)
  role            TEXT NOT NULL CHECK (role IN ('supplier', 'delivery', 'settlement')),
  endpoint        TEXT NOT NULL,
  body            TEXT NOT NULL,   -- the exact JSON sent
  state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  answer_json     TEXT,
  error           TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX coord_steps_order ON coord_steps (group_id, order_id);
CREATE INDEX coord_steps_pending ON coord_steps (state);
