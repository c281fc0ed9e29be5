import type { Db } from './sqlite.js';

/** Remembers every accepted s2s request id until its token has expired. */
export class ReplayStore {
  private readonly insert;
  private readonly purge;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT OR IGNORE INTO s2s_seen_jti (iss, jti, exp) VALUES (?, ?, ?)');
    this.purge = db.prepare('DELETE FROM s2s_seen_jti WHERE exp < ?');
  }

  /** One indexed insert: true the first time (iss, jti) is seen, false for a replay. */
  firstUse(iss: string, jti: string, exp: number): boolean {
    return this.insert.run(iss, jti, exp).changes === 1;
  }

  /** Drops ids whose tokens could no longer pass the expiry check (exp + skew in the past). */
  purgeBefore(epochSeconds: number): number {
    return this.purge.run(epochSeconds).changes;
  }
}
