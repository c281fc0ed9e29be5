import Database from 'better-sqlite3';
import type { Db } from '../../common/store/sqlite.js';

/**
 * Makes every write to `db` (this connection) fail as a full disk does: SQLite's
 * own SqliteError with code SQLITE_FULL, raised inside the statement, so the
 * transaction it belongs to rolls back exactly as on a real full disk. Temporary
 * triggers on every table call a function that throws it; nothing of the site's
 * code is replaced. freeDisk() gives the space back.
 */
export function fillDisk(db: Db, only?: readonly string[]): void {
  db.function('tieup_test_disk_full', () => {
    throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
  });
  const tables = db.prepare<[], { name: string }>("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
  for (const { name } of tables) {
    // `only`: a disk that fails for some tables' writes, to reach a write deeper in a request.
    if (only && !only.includes(name)) continue;
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS "tieup_full_${name}_${op}" BEFORE ${op} ON main."${name}" BEGIN SELECT tieup_test_disk_full(); END`);
    }
  }
}

export function freeDisk(db: Db): void {
  const triggers = db.prepare<[], { name: string }>("SELECT name FROM temp.sqlite_master WHERE type = 'trigger' AND name LIKE 'tieup_full_%'").all();
  for (const { name } of triggers) db.exec(`DROP TRIGGER temp."${name}"`);
}
