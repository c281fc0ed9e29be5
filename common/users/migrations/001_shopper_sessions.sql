-- Shopper sessions are per site; the account itself lives at the main site.
CREATE TABLE shopper_sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  email      TEXT NOT NULL,
  name       TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
