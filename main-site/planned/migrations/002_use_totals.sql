-- Use totals counted incrementally from the signed log: how far each log (source) has been counted,
-- and the running totals per period, party, page and contribution that the counted entries add up to.
CREATE TABLE planned_totals_cursor (
  -- the log counted: the main site's own log, by its site id
  source TEXT PRIMARY KEY,
  -- the first log index not yet counted (every entry below it is in planned_use_totals)
  next_index INTEGER NOT NULL,
  -- hex Merkle root of the log at next_index: a log that is not the one counted (replaced, restored) is counted again from 0
  root TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE planned_use_totals (
  source TEXT NOT NULL,
  -- UTC month of the entries, YYYY-MM
  period TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('planner', 'contributor')),
  party TEXT NOT NULL,
  page TEXT NOT NULL,
  -- '' on a planner's page line
  contribution TEXT NOT NULL,
  currency TEXT NOT NULL,
  sales INTEGER NOT NULL,
  refunds INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  views INTEGER NOT NULL,
  downloads INTEGER NOT NULL,
  PRIMARY KEY (source, period, role, party, page, contribution)
);
CREATE INDEX planned_use_totals_page ON planned_use_totals (page, role);
