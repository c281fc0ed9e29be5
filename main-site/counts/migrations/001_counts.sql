-- Delivery counts (docs/counts.md): per item and site, from verified log entries only.

-- How far each site's log has been counted: entries [0, size) of that log, all covered by
-- the signed checkpoint of that size (root kept so a count names the exact tree it rests on).
CREATE TABLE count_cursors (
  site            TEXT PRIMARY KEY,
  size            INTEGER NOT NULL,
  checkpoint_root TEXT NOT NULL,
  counted_at      TEXT NOT NULL
);

CREATE TABLE count_totals (
  item            TEXT PRIMARY KEY,
  count           INTEGER NOT NULL,
  -- The count at the item's last revenue-share statement (statements pay for deliveries since it).
  statement_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE count_by_site (
  item            TEXT NOT NULL,
  site            TEXT NOT NULL,
  count           INTEGER NOT NULL,
  -- The entry of this site's log that made the latest delivery counted, and the checkpoint size covering it.
  last_index      INTEGER NOT NULL,
  checkpoint_size INTEGER NOT NULL,
  PRIMARY KEY (item, site)
);

CREATE TABLE count_items (
  key             TEXT PRIMARY KEY,
  title           TEXT NOT NULL,
  supplier        TEXT NOT NULL,
  price_points    INTEGER,
  updated_at      TEXT NOT NULL,
  updated_by      TEXT NOT NULL
);
CREATE INDEX count_items_supplier ON count_items (supplier);

CREATE TABLE count_rules (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  item            TEXT NOT NULL REFERENCES count_items (key),
  mode            TEXT NOT NULL CHECK (mode IN ('every', 'only')),
  n               INTEGER NOT NULL CHECK (n >= 1),
  action          TEXT NOT NULL CHECK (action IN ('status_report', 'new_content', 'revenue_statement', 'webhooks_only')),
  webhooks        TEXT NOT NULL,
  -- The item's count when the rule was set: it fires only for thresholds above it.
  floor           INTEGER NOT NULL,
  created_at      TEXT NOT NULL,
  created_by      TEXT NOT NULL,
  removed_at      TEXT
);
CREATE INDEX count_rules_item ON count_rules (item);

-- Each threshold a rule crossed, once: the primary key is what makes "exactly once" hold across
-- restarts, and the row is written in the same transaction as the count that crossed it.
CREATE TABLE count_events (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id         INTEGER NOT NULL REFERENCES count_rules (id),
  threshold       INTEGER NOT NULL,
  item            TEXT NOT NULL,
  supplier        TEXT NOT NULL,
  action          TEXT NOT NULL,
  fired_at        TEXT NOT NULL,
  -- The delivery that reached the threshold: (site, log index), under the checkpoint (size, root).
  site            TEXT NOT NULL,
  entry_index     INTEGER NOT NULL,
  checkpoint_size INTEGER NOT NULL,
  checkpoint_root TEXT NOT NULL,
  by_site         TEXT NOT NULL,
  detail          TEXT NOT NULL,
  notice_id       TEXT,
  -- 0 until its notices are in the outbox (each with a dedupe key, so a crash in between sends none twice).
  notices_sent    INTEGER NOT NULL DEFAULT 0,
  UNIQUE (rule_id, threshold)
);
CREATE INDEX count_events_unsent ON count_events (id) WHERE notices_sent = 0;
CREATE INDEX count_events_item ON count_events (item, id);
CREATE INDEX count_events_supplier ON count_events (supplier, id);

CREATE TABLE count_agreements (
  party           TEXT NOT NULL,
  version         INTEGER NOT NULL,
  terms           TEXT NOT NULL,
  set_at          TEXT NOT NULL,
  set_by          TEXT NOT NULL,
  PRIMARY KEY (party, version)
);
