-- A partner's own ads (files in its original-pages folder, docs/ads.md "A partner's own ads") need no lease: each
-- delivery is named `/ads/<ad>/own/<seq>`, and `seq` must never be reused, across restarts too. The last number
-- given per ad is written in the same transaction as the leases' `used`, before the page is sent.
CREATE TABLE ads_held_own_seq (
  ad TEXT PRIMARY KEY,
  seq INTEGER NOT NULL CHECK (seq >= 0)
);
