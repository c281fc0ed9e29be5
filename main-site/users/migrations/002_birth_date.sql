-- An optional birth date (YYYY-MM-DD), for items with a minimum age (paid content). Set by the operator; never sent to partners.
ALTER TABLE users ADD COLUMN birth_date TEXT;
