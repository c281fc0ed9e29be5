-- Shopping carts, one per cart cookie (stored by the cookie's hash). The
-- checkout key is the idempotency key of the cart's next order: kept until an
-- order succeeds, so a retry after a lost answer reuses it.
CREATE TABLE carts (
  id_hash      TEXT PRIMARY KEY,
  items_json   TEXT NOT NULL,
  checkout_key TEXT,
  updated_at   TEXT NOT NULL
) WITHOUT ROWID;

-- Secrets a site generates for itself (e.g. the key of its form tokens).
CREATE TABLE site_secrets (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
