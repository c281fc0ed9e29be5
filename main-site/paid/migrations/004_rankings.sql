-- Rankings and banners read the key and subscription records by time: accesses
-- per item in a window, and sales per partner by weekday and time slot.
CREATE INDEX paid_keys_issued ON paid_keys (issued_at, item);
CREATE INDEX paid_keys_partner_issued ON paid_keys (partner, issued_at);
CREATE INDEX paid_subscriptions_created ON paid_subscriptions (partner, created_at);
