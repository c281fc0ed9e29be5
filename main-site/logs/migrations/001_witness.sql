-- Partners' logs as the main site accepted them, and the checkpoints it cosigned.
CREATE TABLE witnessed_entries (
  site TEXT NOT NULL,
  idx  INTEGER NOT NULL,
  line TEXT NOT NULL,
  leaf BLOB NOT NULL,
  PRIMARY KEY (site, idx)
) WITHOUT ROWID;

CREATE TABLE witnessed_checkpoints (
  site        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  root        BLOB NOT NULL,
  time        TEXT NOT NULL,
  note        TEXT NOT NULL,
  signer_x    TEXT NOT NULL,
  cosignature TEXT NOT NULL,
  accepted_at TEXT NOT NULL,
  PRIMARY KEY (site, size)
);

-- Two signed checkpoints of one log that cannot both be true: kept as evidence.
CREATE TABLE fork_evidence (
  id               INTEGER PRIMARY KEY,
  site             TEXT NOT NULL,
  detected_at      TEXT NOT NULL,
  reason           TEXT NOT NULL,
  accepted_note    TEXT NOT NULL,
  conflicting_note TEXT NOT NULL
);

-- What each partner last said about its own log (for the backlog shown on the console).
CREATE TABLE witness_state (
  site          TEXT PRIMARY KEY,
  reported_size INTEGER NOT NULL DEFAULT 0,
  last_ship_at  TEXT
);
