-- The replay cache keyed by expiry first. Request ids are random, so a key of
-- (iss, jti) put every insert on a random B-tree page (plus a second index for
-- the purge); with exp first, inserts land at the right edge of one tree and the
-- purge deletes a prefix. Measured: half the CPU per insert.
--
-- Still exact: a replay is the same token again, and a token's exp is signed
-- with its jti, so the same (iss, jti) always comes back with the same exp.
CREATE TABLE s2s_seen_jti_v2 (
  exp INTEGER NOT NULL,
  iss TEXT NOT NULL,
  jti TEXT NOT NULL,
  PRIMARY KEY (exp, iss, jti)
) WITHOUT ROWID;
INSERT INTO s2s_seen_jti_v2 (exp, iss, jti) SELECT exp, iss, jti FROM s2s_seen_jti;
DROP TABLE s2s_seen_jti;
ALTER TABLE s2s_seen_jti_v2 RENAME TO s2s_seen_jti;
