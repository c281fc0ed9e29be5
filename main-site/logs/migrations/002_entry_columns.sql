-- The fields fees count, copied out of each accepted entry's line so a period
-- aggregates with plain SQL (the line stays the evidence).
ALTER TABLE witnessed_entries ADD COLUMN time TEXT;
ALTER TABLE witnessed_entries ADD COLUMN type TEXT;
ALTER TABLE witnessed_entries ADD COLUMN kind TEXT;
ALTER TABLE witnessed_entries ADD COLUMN status INTEGER;
ALTER TABLE witnessed_entries ADD COLUMN user_id TEXT;
ALTER TABLE witnessed_entries ADD COLUMN order_id TEXT;
ALTER TABLE witnessed_entries ADD COLUMN order_amount INTEGER;
ALTER TABLE witnessed_entries ADD COLUMN currency TEXT;
UPDATE witnessed_entries SET
  time = json_extract(line, '$.time'), type = json_extract(line, '$.type'), kind = json_extract(line, '$.kind'),
  status = json_extract(line, '$.status'), user_id = json_extract(line, '$.user'),
  order_id = json_extract(line, '$.order.id'), order_amount = json_extract(line, '$.order.amount'), currency = json_extract(line, '$.order.currency');
CREATE INDEX witnessed_entries_time ON witnessed_entries (site, time);
