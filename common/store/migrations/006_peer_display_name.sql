-- A display name per peer, given at enrolment in the console ("North Market");
-- NULL for peers enrolled before it existed or without one (the id is shown).
ALTER TABLE peers ADD COLUMN display_name TEXT;
