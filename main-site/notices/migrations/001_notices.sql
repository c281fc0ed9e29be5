-- The notice outbox: every notice to a person is stored here first, then
-- delivered per channel by the outbox worker. The id is the idempotency id
-- receivers see (Message-ID, Tieup-Notice-Id), so a resend after a crash
-- between sending and recording can be recognised as the same notice.
CREATE TABLE notices (
  id             TEXT PRIMARY KEY,
  dedupe_key     TEXT NOT NULL UNIQUE,
  -- the party it is addressed to (shown in that party's portal inbox), or NULL for a plain address
  party          TEXT,
  recipient_name TEXT,
  email          TEXT,
  webhook_url    TEXT,
  kind           TEXT NOT NULL,
  subject        TEXT NOT NULL,
  text           TEXT NOT NULL,
  html           TEXT,
  data_json      TEXT,
  -- strings (one-time links) blanked from text, html and data once every channel has delivered
  redact_json    TEXT,
  created_at     TEXT NOT NULL,
  -- pending until every channel is delivered or off
  state          TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
  delivered_at   TEXT,
  read_at        TEXT
);
CREATE INDEX notices_party ON notices (party, created_at);
CREATE INDEX notices_state ON notices (state, created_at);

-- One row per notice and channel: 'off' when the recipient has no address for it.
CREATE TABLE notice_channels (
  notice_id    TEXT NOT NULL REFERENCES notices (id),
  channel      TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
  state        TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'off')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      TEXT,
  delivered_at TEXT,
  last_error   TEXT,
  PRIMARY KEY (notice_id, channel)
);
CREATE INDEX notice_channels_due ON notice_channels (state, next_at);

-- Every delivery attempt, kept for the console.
CREATE TABLE notice_attempts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  notice_id   TEXT NOT NULL REFERENCES notices (id),
  channel     TEXT NOT NULL,
  at          TEXT NOT NULL,
  ok          INTEGER NOT NULL,
  detail      TEXT NOT NULL,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX notice_attempts_notice ON notice_attempts (notice_id, id);
