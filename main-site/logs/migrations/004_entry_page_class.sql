-- Each page entry's class for fees, worked out once (PAGE_CLASS_SQL in
-- main-site/logs/witness-store.ts, which stores it for every new entry): a
-- period's statements then count small integers instead of testing kind, status
-- and path per counter per row. Older rows get it from the same expression.
ALTER TABLE witnessed_entries ADD COLUMN page_class INTEGER;
UPDATE witnessed_entries SET page_class = CASE WHEN status >= 400 THEN 1 WHEN status < 400 THEN CASE kind
  WHEN 'tie-up' THEN CASE WHEN path IS NULL THEN 13 WHEN (path = '/cart' OR path = '/checkout' OR (path > '/orders/' AND path < '/orders0' AND instr(substr(path, 9), '/') = 0)) THEN 11 WHEN (status >= 200 AND status < 300) OR status = 304 THEN 10 ELSE 12 END
  WHEN 'original' THEN CASE WHEN path IS NULL THEN 23 WHEN (path = '/cart' OR path = '/checkout' OR (path > '/orders/' AND path < '/orders0' AND instr(substr(path, 9), '/') = 0)) THEN 21 WHEN (status >= 200 AND status < 300) OR status = 304 THEN 20 ELSE 22 END
  WHEN 'shop' THEN 31 WHEN 'asset' THEN 40 ELSE CASE WHEN kind IS NOT NULL THEN 50 END END END;
