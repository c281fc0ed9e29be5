-- What this partner charged its members for paid content (its own bill), one row per
-- issued key of a per-access item and one per subscription period.
CREATE TABLE paid_charges (
  id          TEXT PRIMARY KEY,           -- the key id (per access) or the subscription id (per period)
  kind        TEXT NOT NULL CHECK (kind IN ('access', 'period')),
  user_id     TEXT NOT NULL,
  item        TEXT NOT NULL,
  amount      INTEGER NOT NULL CHECK (amount >= 0),
  currency    TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX paid_charges_item ON paid_charges (item, created_at);

-- Members' subscriptions to period items, as registered at the main site.
CREATE TABLE paid_subscriptions (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  item          TEXT NOT NULL,
  period_start  TEXT NOT NULL,
  period_end    TEXT NOT NULL,
  cancelled_at  TEXT
);
CREATE INDEX paid_subscriptions_user ON paid_subscriptions (user_id, item, period_end);
