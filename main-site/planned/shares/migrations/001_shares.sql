-- Planned shares (main-site/planned/shares): planner contracts, the sales and refunds of planned pages,
-- accepted contributions (fixed-fee basis), every party's part of each, and closed statements.
-- Each record row keeps its canonical JSON and the digest its log entry carries (session), and the entry's index.

CREATE TABLE planned_share_contracts (
  planner         TEXT NOT NULL,
  version         INTEGER NOT NULL,
  effective_from  TEXT NOT NULL,
  recorded_at     TEXT NOT NULL,
  record          TEXT NOT NULL,             -- the ContractVersion, canonical JSON
  digest          TEXT NOT NULL,
  entry_index     INTEGER NOT NULL,
  PRIMARY KEY (planner, version)
);

CREATE TABLE planned_share_sales (
  sale_id           TEXT PRIMARY KEY,
  planner           TEXT NOT NULL,
  at                TEXT NOT NULL,           -- the sale's time (UTC)
  amount            INTEGER NOT NULL,
  currency          TEXT NOT NULL,
  refunded          INTEGER NOT NULL DEFAULT 0,
  contract_version  INTEGER NOT NULL,
  record            TEXT NOT NULL,
  digest            TEXT NOT NULL,
  entry_index       INTEGER NOT NULL
);
CREATE INDEX planned_share_sales_by_planner ON planned_share_sales (planner, at);

CREATE TABLE planned_share_refunds (
  refund_id    TEXT PRIMARY KEY,
  sale_id      TEXT NOT NULL REFERENCES planned_share_sales (sale_id),
  at           TEXT NOT NULL,
  amount       INTEGER NOT NULL,
  record       TEXT NOT NULL,
  digest       TEXT NOT NULL,
  entry_index  INTEGER NOT NULL
);
CREATE INDEX planned_share_refunds_by_sale ON planned_share_refunds (sale_id);

CREATE TABLE planned_share_acceptances (
  contribution  TEXT PRIMARY KEY,
  planner       TEXT NOT NULL,
  at            TEXT NOT NULL,
  fee           INTEGER NOT NULL,
  record        TEXT NOT NULL,
  digest        TEXT NOT NULL,
  entry_index   INTEGER NOT NULL
);
CREATE INDEX planned_share_acceptances_by_planner ON planned_share_acceptances (planner, at);

-- An account: one party's balance with one planner (the planner itself, a contributor to its pages,
-- a partner that sold them, the main site). Statements, holding and payout minimum are per account.
CREATE TABLE planned_share_accounts (
  id       INTEGER PRIMARY KEY,
  planner  TEXT NOT NULL,
  role     TEXT NOT NULL CHECK (role IN ('main', 'partner', 'planner', 'contributor')),
  party    TEXT NOT NULL,
  UNIQUE (planner, role, party)
);
CREATE INDEX planned_share_accounts_by_party ON planned_share_accounts (party);

-- Every part of every sale, refund and fee, signed: what the statements add up.
-- kind: s sale, r refund, f fee; event: the sale, refund or contribution id; sale_at: the sale's time (holding).
CREATE TABLE planned_share_parts (
  account   INTEGER NOT NULL,
  at        TEXT NOT NULL,
  sale_at   TEXT NOT NULL,
  hold_until TEXT NOT NULL,              -- end of the holding period (sale time + the sale's contract holding days; a fee: its time)
  amount    INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  event     TEXT NOT NULL
);
-- Statement totals read one period's parts by time, covering, grouped by account.
CREATE INDEX planned_share_parts_by_time ON planned_share_parts (at, account, amount, hold_until);
CREATE INDEX planned_share_parts_by_account ON planned_share_parts (account, at);

-- Closed statements, frozen: the next one opens with this one's carried balance.
CREATE TABLE planned_share_statements (
  account      INTEGER NOT NULL,
  period_from  TEXT NOT NULL,
  period_to    TEXT NOT NULL,
  closing      INTEGER NOT NULL,
  payout       INTEGER NOT NULL,
  statement    TEXT NOT NULL,                -- the Statement, JSON
  hash         TEXT NOT NULL,
  closed_at    TEXT NOT NULL,
  PRIMARY KEY (account, period_from)
);

-- The periods closed per planner (all its accounts close together): sales before the last one's end are refused.
CREATE TABLE planned_share_closed (
  planner      TEXT NOT NULL,
  period_from  TEXT NOT NULL,
  period_to    TEXT NOT NULL,
  checkpoint_size INTEGER NOT NULL,
  checkpoint_root TEXT NOT NULL,
  closed_at    TEXT NOT NULL,
  PRIMARY KEY (planner, period_from)
);
