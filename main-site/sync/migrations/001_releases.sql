-- Content-addressed blobs and immutable releases.
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size   INTEGER NOT NULL,
  data   BLOB NOT NULL
);

CREATE TABLE releases (
  number        INTEGER PRIMARY KEY,
  root          TEXT NOT NULL,
  note          TEXT NOT NULL,
  manifest_json TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  created_by    TEXT NOT NULL
);

-- What the main site knows of each partner's copy.
CREATE TABLE partner_sync (
  partner_id            TEXT PRIMARY KEY REFERENCES peers (id) ON DELETE CASCADE,
  held_release          INTEGER,  -- newest release the partner confirmed it holds: the base for deltas
  active_release        INTEGER,
  active_root           TEXT,
  staged_release        INTEGER,
  staged_state          TEXT CHECK (staged_state IN ('pending', 'rejected')),
  reject_reason         TEXT,
  serving_root          TEXT,
  serving_checked_at    TEXT,
  drift                 INTEGER NOT NULL DEFAULT 0,
  drift_detail          TEXT,
  emergency_edit_at     TEXT,
  original_paths_json   TEXT NOT NULL DEFAULT '[]',
  last_push_at          TEXT,
  last_push_outcome     TEXT,
  last_push_detail      TEXT,
  consecutive_failures  INTEGER NOT NULL DEFAULT 0,
  failing               INTEGER NOT NULL DEFAULT 0,
  next_retry_at         TEXT
);

-- Every push attempt and its outcome: nothing fails silently.
CREATE TABLE deliveries (
  id                INTEGER PRIMARY KEY,
  partner_id        TEXT NOT NULL,
  release           INTEGER,
  attempt           INTEGER NOT NULL,
  trigger           TEXT NOT NULL,
  started_at        TEXT NOT NULL,
  finished_at       TEXT,
  outcome           TEXT,
  detail            TEXT,
  blobs_sent        INTEGER NOT NULL DEFAULT 0,
  bytes_sent        INTEGER NOT NULL DEFAULT 0,
  freeze_overridden INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_partner ON deliveries (partner_id, id);

-- What partners reported back: approvals, rejections, rollbacks, emergency edits, drift.
CREATE TABLE sync_events (
  id         INTEGER PRIMARY KEY,
  partner_id TEXT NOT NULL,
  at         TEXT NOT NULL,
  kind       TEXT NOT NULL,
  release    INTEGER,
  detail     TEXT
);
CREATE INDEX sync_events_partner ON sync_events (partner_id, id);

CREATE TABLE webhooks (
  id         INTEGER PRIMARY KEY,
  url        TEXT NOT NULL,
  events     TEXT NOT NULL,
  created_at TEXT NOT NULL
);
