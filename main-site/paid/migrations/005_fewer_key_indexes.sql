-- Every issued key writes each index of paid_keys in the same commit as its
-- charge, so an index no query needs is paid for on every key. These two are
-- never chosen: paid_keys_issued (issued_at, item) is a prefix of
-- paid_keys_report (issued_at, item, partner, amount), which serves the same
-- range scans and covers them; paid_keys_item (item, issued_at) served no query
-- (the console's key list filters by an optional item, which an index on the
-- item cannot serve). Checked with EXPLAIN QUERY PLAN on every paid_keys query.
DROP INDEX IF EXISTS paid_keys_issued;
DROP INDEX IF EXISTS paid_keys_item;
