-- An entrusted order is confirmed once its partner says it recorded it (or
-- asks for its state by the id only the answer carried). One never confirmed
-- (the answer was lost and the partner never settled it) expires after
-- TIEUP_SHOP_UNCONFIRMED_EXPIRE_MS: it is cancelled, its stock returned, and
-- expired_at says why. Orders from before confirmations existed count as
-- confirmed: their partners showed them to the shopper already.
ALTER TABLE orders ADD COLUMN confirmed_at TEXT;
ALTER TABLE orders ADD COLUMN expired_at TEXT;
UPDATE orders SET confirmed_at = created_at WHERE mode = 'entrust';
CREATE INDEX orders_unconfirmed ON orders (mode, confirmed_at, seq);

-- Keys a partner asked about and the main site had no order for: closed, so a
-- late copy of that request can never become an order after the partner was
-- told "not found" and its shopper was told nothing was ordered.
CREATE TABLE closed_keys (
  site      TEXT NOT NULL,
  key       TEXT NOT NULL,
  closed_at TEXT NOT NULL,
  PRIMARY KEY (site, key)
) WITHOUT ROWID;
