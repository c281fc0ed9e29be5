-- The console's log browser filters a partner's witnessed log by user, newest
-- first: without this index a rare user means walking the whole log. Partial:
-- most entries have no user, and they cost this index nothing.
CREATE INDEX witnessed_entries_user ON witnessed_entries (site, user_id, idx) WHERE user_id IS NOT NULL;
