-- Access keys issued to partners for their members, with the charge each carries
-- (per-access items: the price; period items: 0, charged at subscription).
CREATE TABLE paid_keys (
  id              TEXT PRIMARY KEY,          -- the key's jti
  partner         TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  item            TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  token           TEXT NOT NULL,
  address         TEXT,                      -- as the partner saw it
  issued_at       TEXT NOT NULL,
  expires_at      TEXT NOT NULL,
  charge_type     TEXT NOT NULL CHECK (charge_type IN ('per_access', 'per_period')),
  amount          INTEGER NOT NULL CHECK (amount >= 0),
  currency        TEXT NOT NULL,
  subscription_id TEXT,
  bound_address   TEXT,                      -- the first address that used it
  first_used_at   TEXT,
  UNIQUE (partner, idempotency_key)
);
CREATE INDEX paid_keys_item ON paid_keys (item, issued_at);
CREATE INDEX paid_keys_user ON paid_keys (partner, user_id, item);

-- Subscriptions to period items, registered by the partner that charged the member.
CREATE TABLE paid_subscriptions (
  partner       TEXT NOT NULL,
  id            TEXT NOT NULL,             -- the partner's id, also its idempotency key
  user_id       TEXT NOT NULL,
  item          TEXT NOT NULL,
  period_start  TEXT NOT NULL,
  period_end    TEXT NOT NULL,
  amount        INTEGER NOT NULL CHECK (amount >= 0),
  currency      TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  cancelled_at  TEXT,
  PRIMARY KEY (partner, id)
);
CREATE INDEX paid_subscriptions_user ON paid_subscriptions (partner, user_id, item, period_end);

-- Revocations: one key, a user's keys for an item, or all of a partner's keys, issued before effective_at.
CREATE TABLE paid_revocations (
  id           INTEGER PRIMARY KEY,
  scope        TEXT NOT NULL CHECK (scope IN ('key', 'user_item', 'partner')),
  key_id       TEXT,
  partner      TEXT,
  user_id      TEXT,
  item         TEXT,
  effective_at TEXT NOT NULL,
  reason       TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
