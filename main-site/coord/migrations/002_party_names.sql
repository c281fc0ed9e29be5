-- The name a supplier calls itself (its last quote answer's supplierName), so the shopper's
-- pages name suppliers ("Corner Grocer") before a quote is asked, never by their peer id.
ALTER TABLE coord_parties ADD COLUMN name TEXT;
