-- Partners' sales statements, every version kept, each with the reconciliation it got.
CREATE TABLE paid_statements (
  partner             TEXT NOT NULL,
  period              TEXT NOT NULL,              -- YYYY-MM (UTC)
  version             INTEGER NOT NULL,
  source              TEXT NOT NULL CHECK (source IN ('records', 'csv')),
  currency            TEXT NOT NULL,
  lines_json          TEXT NOT NULL,              -- the partner's lines as submitted
  partner_checkpoint  TEXT,                       -- {"size","root"} of the partner's log, when given
  main_checkpoint     TEXT NOT NULL,              -- {"size","root"} of this site's log the comparison rests on
  result_json         TEXT NOT NULL,              -- the classification
  status              TEXT NOT NULL CHECK (status IN ('reconciled', 'held', 'accepted', 'superseded')),
  submitted_at        TEXT NOT NULL,
  accepted_by         TEXT,
  accepted_reason     TEXT,
  accepted_at         TEXT,
  PRIMARY KEY (partner, period, version)
);

-- Supplier contracts, versioned: a new version for every change.
CREATE TABLE paid_supplier_contracts (
  supplier        TEXT NOT NULL,
  version         INTEGER NOT NULL,
  effective_from  TEXT NOT NULL,                  -- YYYY-MM
  contract_json   TEXT NOT NULL,
  created_by      TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (supplier, version)
);

-- Supplier payment statements, issued per period; a reissue is a new revision.
CREATE TABLE paid_supplier_statements (
  supplier        TEXT NOT NULL,
  period          TEXT NOT NULL,
  revision        INTEGER NOT NULL,
  party           TEXT NOT NULL,
  statement_json  TEXT NOT NULL,
  main_checkpoint TEXT NOT NULL,
  issued_by       TEXT NOT NULL,
  issued_at       TEXT NOT NULL,
  PRIMARY KEY (supplier, period, revision)
);
CREATE INDEX paid_supplier_statements_party ON paid_supplier_statements (party, period);
