-- Each site's own access log: append-only entries (canonical line + leaf hash),
-- signed checkpoints, and the witness cosignatures received for them.
CREATE TABLE log_entries (
  idx  INTEGER PRIMARY KEY,
  line TEXT NOT NULL,
  leaf BLOB NOT NULL
);

CREATE TABLE log_checkpoints (
  size       INTEGER PRIMARY KEY,
  root       BLOB NOT NULL,
  time       TEXT NOT NULL,
  note       TEXT NOT NULL,
  -- The public key that signed it (base64url x), so exports name every key ever used.
  signer_x   TEXT NOT NULL
);

CREATE TABLE log_cosignatures (
  size        INTEGER NOT NULL,
  witness     TEXT NOT NULL,
  line        TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (size, witness)
);

-- Partner: how far the main site has accepted this log.
CREATE TABLE log_shipping (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  accepted_size   INTEGER NOT NULL DEFAULT 0,
  last_attempt_at TEXT,
  last_shipped_at TEXT,
  last_error      TEXT
);
INSERT INTO log_shipping (id, accepted_size) VALUES (1, 0);
