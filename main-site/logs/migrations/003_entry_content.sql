-- Content sizes for the size basis are counted from the log too (distinct pages
-- served per kind, and their sizes), so a bundle alone reproduces a statement.
ALTER TABLE witnessed_entries ADD COLUMN path TEXT;
ALTER TABLE witnessed_entries ADD COLUMN bytes INTEGER;
UPDATE witnessed_entries SET path = json_extract(line, '$.path'), bytes = json_extract(line, '$.bytes');
