-- A partner that rolled back to an earlier release, told by its manager's report or by the main
-- operator's command: kept until the partner serves a newer release, so the console and
-- `tieup sync status` say "rolled back to N, latest M not served" instead of the last push's outcome.
ALTER TABLE partner_sync ADD COLUMN rolled_back_to INTEGER;
ALTER TABLE partner_sync ADD COLUMN rolled_back_at TEXT;
ALTER TABLE partner_sync ADD COLUMN rolled_back_by TEXT;
