-- Outside parties with accounts at the main site's portal. The kind decides
-- which portal sections a party sees; other capabilities key their own data
-- (items, reports, ads, ...) by the party id.
CREATE TABLE parties (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('supplier', 'advertiser', 'planner', 'contributor', 'component_supplier')),
  display_name   TEXT NOT NULL,
  email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
  -- invited: no password yet; active: may log in; suspended: may not (sessions are ended)
  status         TEXT NOT NULL CHECK (status IN ('invited', 'active', 'suspended')),
  password_hash  TEXT,
  -- base32 TOTP secret once confirmed with a code; the pending one while being set up
  totp_secret    TEXT,
  totp_pending   TEXT,
  -- the last accepted TOTP time step, so one code is never accepted twice
  totp_last_step INTEGER,
  webhook_url    TEXT,
  created_at     TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  activated_at   TEXT,
  last_login_at  TEXT
);

-- One-time invitation links: only the SHA-256 of the token is kept.
CREATE TABLE party_invitations (
  token_hash TEXT PRIMARY KEY,
  party_id   TEXT NOT NULL REFERENCES parties (id),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT,
  revoked_at TEXT,
  notice_id  TEXT
);
CREATE INDEX party_invitations_party ON party_invitations (party_id);

-- Portal sessions, by the SHA-256 of the cookie; stage 'totp' waits for the second factor.
CREATE TABLE party_sessions (
  sid_hash   TEXT PRIMARY KEY,
  party_id   TEXT NOT NULL REFERENCES parties (id),
  csrf_token TEXT NOT NULL,
  stage      TEXT NOT NULL CHECK (stage IN ('totp', 'full')),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX party_sessions_party ON party_sessions (party_id);
