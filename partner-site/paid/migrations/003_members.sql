-- Who a charge is to, in the words the manager knows them by: the member's name
-- and e-mail as their session had them when they were last charged (the main
-- site keeps the account; this is the partner's own bill to its member).
CREATE TABLE paid_members (
  user_id     TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  name        TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
