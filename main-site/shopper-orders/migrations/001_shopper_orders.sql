-- Orders placed on partners, as their partners report them (shopper-orders.report):
-- the latest state of each, for the shopper's one order list across the network,
-- and, for an entrusted order, its number on the partner (linked to ours).
CREATE TABLE partner_orders (
  site        TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  number      TEXT NOT NULL,
  mode        TEXT NOT NULL CHECK (mode IN ('local', 'consult', 'entrust')),
  state       TEXT NOT NULL CHECK (state IN ('accepted', 'shipped', 'delivered', 'cancelled')),
  user_id     TEXT NOT NULL,
  main_number TEXT,
  total       INTEGER NOT NULL,
  currency    TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (site, order_id)
) WITHOUT ROWID;
CREATE INDEX partner_orders_user ON partner_orders (user_id);
CREATE INDEX partner_orders_main ON partner_orders (main_number);

-- Every state each reported order reached, once: the shopper's e-mail for it
-- is sent in the same transaction the first time the state is heard.
CREATE TABLE partner_order_events (
  site        TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  state       TEXT NOT NULL,
  at          TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (site, order_id, state)
) WITHOUT ROWID;
