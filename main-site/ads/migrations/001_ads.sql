-- Ads at the main site: definitions, their advertiser and payment terms, state and counts.
CREATE TABLE ads (
  id TEXT PRIMARY KEY,
  advertiser TEXT NOT NULL,
  definition TEXT NOT NULL,
  -- 'stop': suspend at the paid count; 'grace': keep delivering grace_seconds after it, then stop if unpaid.
  variant TEXT NOT NULL CHECK (variant IN ('stop', 'grace')),
  grace_seconds INTEGER NOT NULL DEFAULT 0,
  -- One payment buys this many deliveries for this amount.
  count_per_payment INTEGER NOT NULL CHECK (count_per_payment > 0),
  price_amount INTEGER NOT NULL CHECK (price_amount >= 0),
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('commissioned', 'awaiting_payment', 'active', 'grace', 'suspended', 'stopped', 'withdrawn')),
  -- Deliveries paid for in total, and the total at which the current cycle began (SC = delivered - cycle_start).
  paid_total INTEGER NOT NULL DEFAULT 0,
  cycle_start INTEGER NOT NULL DEFAULT 0,
  grace_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE ad_payments (
  id TEXT PRIMARY KEY,
  ad TEXT NOT NULL REFERENCES ads(id),
  count INTEGER NOT NULL CHECK (count > 0),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  currency TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('operator', 'webhook')),
  recorded_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  state_before TEXT NOT NULL
);
CREATE INDEX ad_payments_ad ON ad_payments (ad);

-- Leases of deliveries granted to sites (the main site's own included).
-- open: the holder may serve from it; lapsed: past its time, not yet reported closed (its whole size stays reserved);
-- closed: reported closed, `used` final. Quota is freed only by a holder's report, never by time.
CREATE TABLE ad_leases (
  id TEXT PRIMARY KEY,
  ad TEXT NOT NULL REFERENCES ads(id),
  site TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= size),
  state TEXT NOT NULL CHECK (state IN ('open', 'lapsed', 'closed')),
  granted_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  closed_at TEXT
);
CREATE INDEX ad_leases_ad ON ad_leases (ad, state);
CREATE INDEX ad_leases_site ON ad_leases (site, state);

-- Per ad: what is reserved by leases (open/lapsed: size; closed: used) and what was delivered (used), kept with every lease change.
CREATE TABLE ad_totals (
  ad TEXT PRIMARY KEY REFERENCES ads(id),
  reserved INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ad_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ad TEXT NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  notice TEXT
);
CREATE INDEX ad_events_ad ON ad_events (ad, seq);

-- Viewing points: one credit per shopper, ad and period; spending, with what it bought.
CREATE TABLE ad_points (
  user_id TEXT NOT NULL,
  ad TEXT NOT NULL,
  period TEXT NOT NULL,
  points INTEGER NOT NULL CHECK (points >= 0),
  site TEXT NOT NULL,
  lease TEXT NOT NULL,
  seq INTEGER NOT NULL,
  log_index INTEGER,
  earned_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (user_id, ad, period)
);
CREATE TABLE ad_points_spent (
  ref TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  points INTEGER NOT NULL CHECK (points > 0),
  reason TEXT NOT NULL,
  spent_at TEXT NOT NULL
);
CREATE INDEX ad_points_spent_user ON ad_points_spent (user_id);

-- Each serving site's latest exchange number: an exchange numbered no higher is a stale copy and is refused.
CREATE TABLE ad_sites (
  site TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
);
