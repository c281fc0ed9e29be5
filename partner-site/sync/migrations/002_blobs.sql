-- Blobs move from one file each into the database: creating a file cost about
-- 600 microseconds on a journaled disk, so a first sync of thousands of files
-- was dominated by it; a batch now lands in one transaction.
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size   INTEGER NOT NULL,
  data   BLOB NOT NULL
);
