-- Sales reports (main-site/paid/reports): each supplier's chosen cycles (seed Fig. 26), and the reports sent.
CREATE TABLE paid_report_cycles (
  supplier    TEXT PRIMARY KEY,              -- the supplier's party id
  daily       INTEGER NOT NULL CHECK (daily IN (0, 1)),
  weekly      INTEGER NOT NULL CHECK (weekly IN (0, 1)),
  monthly     INTEGER NOT NULL CHECK (monthly IN (0, 1)),
  updated_at  TEXT NOT NULL,
  updated_by  TEXT NOT NULL
);

-- One row per report sent to a supplier when a cycle closed, with the log checkpoint it rests on.
CREATE TABLE paid_report_sent (
  supplier         TEXT NOT NULL,
  cycle            TEXT NOT NULL CHECK (cycle IN ('daily', 'weekly', 'monthly')),
  period           TEXT NOT NULL,            -- 2026-11-30, 2026-W49, 2026-11
  notice_id        TEXT NOT NULL,
  checkpoint_size  INTEGER,
  checkpoint_time  TEXT,
  sent_at          TEXT NOT NULL,
  PRIMARY KEY (supplier, cycle, period)
);

-- The report reads keys by issue time; covering, so a day's or a week's report reads only its own rows.
CREATE INDEX paid_keys_report ON paid_keys (issued_at, item, partner, amount);
CREATE INDEX paid_subscriptions_report ON paid_subscriptions (created_at, item, partner);
