-- Shoppers: the main site is the user information centre for the whole network.
CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  email           TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  password_hash   TEXT NOT NULL,
  registered_site TEXT NOT NULL,
  created_at      TEXT NOT NULL
);
