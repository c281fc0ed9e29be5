-- Planned pages at the main site: planner applications and planners, pages built with the assistant,
-- contributors' acceptance of each page's terms, contributions with their moderation, and orders.
CREATE TABLE planned_applications (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  display_name TEXT NOT NULL,
  slug TEXT NOT NULL,
  pitch TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  reason TEXT,
  party_id TEXT,
  created_at TEXT NOT NULL,
  decided_at TEXT,
  decided_by TEXT
);
CREATE INDEX planned_applications_status ON planned_applications (status, created_at);

CREATE TABLE planned_planners (
  party_id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  -- JSON: "all", "none" or an array of partner ids that may carry and sell the planner's pages
  carried_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE planned_pages (
  id TEXT PRIMARY KEY,
  planner TEXT NOT NULL REFERENCES planned_planners (party_id),
  state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
  spec TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  opened_at TEXT
);
CREATE INDEX planned_pages_planner ON planned_pages (planner, state);

CREATE TABLE planned_page_contributors (
  page_id TEXT NOT NULL REFERENCES planned_pages (id),
  contributor TEXT NOT NULL,
  invited_by TEXT,
  -- the terms the contributor accepted (JSON snapshot of the contract version in force), null until accepted
  terms TEXT,
  accepted_at TEXT,
  PRIMARY KEY (page_id, contributor)
);
CREATE INDEX planned_page_contributors_by ON planned_page_contributors (contributor);

CREATE TABLE planned_contributions (
  id TEXT PRIMARY KEY,
  page_id TEXT NOT NULL REFERENCES planned_pages (id),
  contributor TEXT NOT NULL,
  section TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('text', 'image', 'file')),
  title TEXT NOT NULL,
  teaser TEXT NOT NULL,
  body TEXT NOT NULL,
  file_name TEXT,
  file_type TEXT,
  file_inline INTEGER NOT NULL DEFAULT 0,
  file_size INTEGER,
  file_sha256 TEXT,
  file_data BLOB,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  reason TEXT,
  created_at TEXT NOT NULL,
  decided_at TEXT
);
CREATE INDEX planned_contributions_page ON planned_contributions (page_id, state);
CREATE INDEX planned_contributions_by ON planned_contributions (contributor);

CREATE TABLE planned_orders (
  id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  user_id TEXT NOT NULL,
  page_id TEXT NOT NULL,
  planner TEXT NOT NULL,
  item_kind TEXT NOT NULL CHECK (item_kind IN ('page', 'contribution')),
  contribution_id TEXT,
  -- JSON: the contribution ids the order delivers (the page's accepted contributions at purchase, or the one)
  delivers TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('paid', 'refunded')),
  created_at TEXT NOT NULL,
  refunded_at TEXT,
  UNIQUE (site, idempotency_key)
);
CREATE INDEX planned_orders_user ON planned_orders (user_id, created_at);

-- Periodic use-total notices already sent (one per party and period).
CREATE TABLE planned_totals_sent (
  party_id TEXT NOT NULL,
  period TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  checkpoint_size INTEGER,
  sent_at TEXT NOT NULL,
  PRIMARY KEY (party_id, period)
);
