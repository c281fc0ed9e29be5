-- A component supplier's side of coordination (issue 17): what it sells, how it hands over,
-- and the orders the coordinator sent it. Kept by every site that supplies (partners, the
-- grocer, the main site's central stock).
CREATE TABLE coord_supply_profile (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  profile_json TEXT NOT NULL,            -- the strict supply profile (common/coord/net/supply.ts)
  updated_at   TEXT NOT NULL
);

CREATE TABLE coord_supply_orders (
  order_id        TEXT PRIMARY KEY,      -- the coordinator's id for this supplier's order
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash    TEXT NOT NULL,
  received_json   TEXT NOT NULL,         -- exactly what the coordinator sent (parsed by the protocol schema)
  state           TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'refused', 'withdrawn')),
  respond_by      TEXT NOT NULL,
  reason          TEXT,
  decided_by      TEXT,
  received_at     TEXT NOT NULL,
  decided_at      TEXT,
  decision_sent   INTEGER NOT NULL DEFAULT 0  -- 1 once the coordinator acknowledged the decision
);
CREATE INDEX coord_supply_orders_unsent ON coord_supply_orders (decision_sent, state);
