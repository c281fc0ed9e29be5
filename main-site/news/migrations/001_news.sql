-- News (docs/news.md): shoppers' consent, kept at the main site with the account.
CREATE TABLE news_consent (
  user_id    TEXT PRIMARY KEY,
  opted_in   INTEGER NOT NULL CHECK (opted_in IN (0, 1)),
  -- registration | account | unsubscribe
  source     TEXT NOT NULL,
  changed_at TEXT NOT NULL
);

-- A campaign: one new-product notice to an audience, sent by the main site or,
-- with the news.shopperData grant, by a partner to its own shoppers. The key is
-- the sender's: a retried send finds its campaign and sends nothing more.
CREATE TABLE news_campaigns (
  id            TEXT PRIMARY KEY,
  sender        TEXT NOT NULL,
  send_key      TEXT NOT NULL,
  subject       TEXT NOT NULL,
  text          TEXT NOT NULL,
  link          TEXT NOT NULL,
  audience_json TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE (sender, send_key)
);

-- One row per campaign and shopper, with the site the shopper registered on
-- (whose figures it counts in), the notice that carries it, the first click on
-- its tracked link and an unsubscribe through its link.
CREATE TABLE news_recipients (
  campaign_id     TEXT NOT NULL REFERENCES news_campaigns (id),
  user_id         TEXT NOT NULL,
  site            TEXT NOT NULL,
  notice_id       TEXT NOT NULL,
  clicks          INTEGER NOT NULL DEFAULT 0,
  first_click_at  TEXT,
  unsubscribed_at TEXT,
  PRIMARY KEY (campaign_id, user_id)
) WITHOUT ROWID;
CREATE INDEX news_recipients_site ON news_recipients (site, campaign_id);

-- The key that signs unsubscribe and tracked links (HMAC-SHA256), made at first use.
CREATE TABLE news_secret (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  secret BLOB NOT NULL
);
