-- Peers: on the main site its partners, on a partner its main site.
CREATE TABLE peers (
  id              TEXT PRIMARY KEY,
  role            TEXT NOT NULL CHECK (role IN ('main', 'partner')),
  base_url        TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  contract_json   TEXT NOT NULL DEFAULT '{}',
  -- Which of OUR keys this peer has pinned; we sign to it with that key until
  -- it has accepted an announcement of our newer one.
  acked_kid       TEXT,
  last_hello_json TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

-- Keys we trust for a peer, pinned by RFC 7638 thumbprint (which is also the kid).
CREATE TABLE peer_keys (
  peer_id     TEXT NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
  thumbprint  TEXT NOT NULL,
  public_jwk  TEXT NOT NULL,
  pinned_at   TEXT NOT NULL,
  pinned_by   TEXT NOT NULL CHECK (pinned_by IN ('enrolment', 'announcement')),
  -- NULL while current; set when a newer key is announced (end of grace).
  valid_until TEXT,
  PRIMARY KEY (peer_id, thumbprint)
);

-- Replay cache for s2s request tokens: kept until the token could no longer
-- pass the expiry check anyway. Lives in SQLite so it survives a restart.
CREATE TABLE s2s_seen_jti (
  iss TEXT NOT NULL,
  jti TEXT NOT NULL,
  exp INTEGER NOT NULL,
  PRIMARY KEY (iss, jti)
) WITHOUT ROWID;
CREATE INDEX s2s_seen_jti_exp ON s2s_seen_jti (exp);

-- Console users: operators on the main site, managers on partners.
CREATE TABLE console_users (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('operator', 'manager')),
  created_at    TEXT NOT NULL
);

-- Bearer tokens for the JSON APIs; only a SHA-256 of the token is stored.
CREATE TABLE api_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
  label      TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- Browser sessions; the cookie carries a random id, only its hash is stored.
CREATE TABLE console_sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
