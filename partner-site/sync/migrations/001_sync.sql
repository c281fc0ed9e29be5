-- Releases received from the main site. Blobs live on disk, by hash.
CREATE TABLE releases (
  number            INTEGER PRIMARY KEY,
  root              TEXT NOT NULL,
  note              TEXT NOT NULL DEFAULT '',
  manifest_json     TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('receiving', 'pending', 'active', 'previous', 'superseded', 'rejected')),
  requires_approval INTEGER NOT NULL DEFAULT 0,
  received_at       TEXT NOT NULL,
  decided_at        TEXT,
  decided_by        TEXT,
  reason            TEXT,
  activated_at      TEXT
);

-- The one pointer that says what is served. Activation changes it in one transaction.
CREATE TABLE site_state (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  active_release INTEGER,
  updated_at     TEXT
);
INSERT INTO site_state (id, active_release, updated_at) VALUES (1, NULL, NULL);

-- Tie-up files replaced under the emergency edit right; cleared by the next activation.
CREATE TABLE emergency_edits (
  path    TEXT PRIMARY KEY,
  sha256  TEXT NOT NULL,
  size    INTEGER NOT NULL,
  at      TEXT NOT NULL,
  by_user TEXT NOT NULL,
  reason  TEXT NOT NULL
);

-- What happened to releases here, for the manager's console.
CREATE TABLE sync_log (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  event   TEXT NOT NULL,
  release INTEGER,
  detail  TEXT
);

-- The partner's own look, applied at render time so it survives every update.
CREATE TABLE overrides (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  json TEXT NOT NULL
);
INSERT INTO overrides (id, json) VALUES (1, '{}');
