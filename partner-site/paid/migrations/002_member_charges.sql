-- A member's own charges on their account page, newest first.
CREATE INDEX paid_charges_user ON paid_charges (user_id, created_at);
