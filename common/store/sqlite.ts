import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers run beside the single writer; NORMAL sync keeps commits
  // durable against process crashes (the OS still has the WAL) without an fsync each.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

export interface MigrationSet {
  /** Namespace so the shared and the server-specific migrations number independently. */
  namespace: string;
  dir: string;
  /**
   * Versions of this set that earlier releases applied under another name
   * ("namespace:version"), when a capability's tables moved into its own set:
   * a database that has the old one counts the new one as applied.
   */
  adopts?: Readonly<Record<number, string>>;
}

const FILE_RE = /^(\d{3,})_([a-z0-9_-]+)\.sql$/;

/** Applies every not-yet-applied NNN_name.sql file of each set, in order, each in its own transaction. */
function ensureMigrationTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (namespace, version))`);
}

/**
 * A migration written in TypeScript, for a data change SQL cannot express
 * (one that needs a schema's checks): run once, in one transaction with its
 * record in schema_migrations, like the SQL files. Returns whether it ran.
 */
export function runOnce(db: Db, m: { namespace: string; version: number; name: string }, change: () => void): boolean {
  ensureMigrationTable(db);
  const done = db.prepare('SELECT 1 FROM schema_migrations WHERE namespace = ? AND version = ?').get(m.namespace, m.version);
  if (done) return false;
  db.transaction(() => {
    change();
    db.prepare('INSERT INTO schema_migrations (namespace, version, name, applied_at) VALUES (?, ?, ?, ?)').run(m.namespace, m.version, m.name, new Date().toISOString());
  })();
  return true;
}

export function runMigrations(db: Db, sets: MigrationSet[]): string[] {
  ensureMigrationTable(db);
  const applied = new Set((db.prepare('SELECT namespace, version FROM schema_migrations').all() as { namespace: string; version: number }[]).map((r) => `${r.namespace}:${r.version}`));
  const record = db.prepare('INSERT INTO schema_migrations (namespace, version, name, applied_at) VALUES (?, ?, ?, ?)');
  const done: string[] = [];
  for (const set of sets) {
    const files = readdirSync(set.dir)
      .filter((f) => FILE_RE.test(f))
      .sort();
    for (const f of files) {
      const m = FILE_RE.exec(f)!;
      const version = Number(m[1]);
      if (applied.has(`${set.namespace}:${version}`)) continue;
      const legacy = set.adopts?.[version];
      if (legacy && applied.has(legacy)) {
        record.run(set.namespace, version, m[2], new Date().toISOString());
        applied.add(`${set.namespace}:${version}`);
        continue;
      }
      const sql = readFileSync(join(set.dir, f), 'utf8');
      db.transaction(() => {
        db.exec(sql);
        record.run(set.namespace, version, m[2], new Date().toISOString());
      })();
      done.push(`${set.namespace}/${f}`);
    }
  }
  return done;
}
