-- The last authenticated contact with a peer, either way: a signed request of
-- its that passed every check, or a signed answer of its to our request.
-- Recorded at most every 30 s per peer (the console shows minutes, not calls).
-- NULL until the first contact after this migration.
ALTER TABLE peers ADD COLUMN last_contact_at TEXT;
ALTER TABLE peers ADD COLUMN last_contact_direction TEXT CHECK (last_contact_direction IN ('received', 'sent'));
