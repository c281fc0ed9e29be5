-- Fee contracts: every revision kept; a statement stores the version it used.
CREATE TABLE fee_contracts (
  partner     TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  json        TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  PRIMARY KEY (partner, revision)
);

-- Closed statements, frozen with their own hash.
CREATE TABLE fee_statements (
  partner     TEXT NOT NULL,
  period      TEXT NOT NULL,
  json        TEXT NOT NULL,
  hash        TEXT NOT NULL,
  closed_at   TEXT NOT NULL,
  adjusted_in TEXT,
  PRIMARY KEY (partner, period)
);
