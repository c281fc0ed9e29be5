-- Leases of ad deliveries this site holds (granted by the main site; the main site holds its own too).
-- `used` is written before a delivery is sent: after a crash the site knows exactly what it served.
CREATE TABLE ads_held_leases (
  id TEXT PRIMARY KEY,
  ad TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= size),
  -- Local clock, epoch ms: the grant's time to live counted from its arrival here, less a safety margin.
  deadline_ms INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  -- 1 once this site stopped serving from it and reported it closed (kept until the main site acknowledges).
  closing INTEGER NOT NULL DEFAULT 0
);
-- The definitions of the ads this site may show, as last sent by the main site (to serve from leases while cut off).
CREATE TABLE ads_held_ads (
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL
);
-- Single-use click links: a token's random id, once opened.
CREATE TABLE ads_held_clicks (
  jti TEXT PRIMARY KEY,
  opened_at TEXT NOT NULL
);
-- The click-signing secret, and the number of this site's latest exchange (each one is numbered higher, across restarts).
CREATE TABLE ads_held_secret (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  secret BLOB NOT NULL,
  exchange_seq INTEGER NOT NULL DEFAULT 0
);
