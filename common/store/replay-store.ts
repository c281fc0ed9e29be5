import type { Db } from './sqlite.js';

interface Pending {
  iss: string;
  jti: string;
  exp: number;
  resolve: (first: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Remembers every accepted s2s request id until its token has expired.
 * Checks that arrive in the same event-loop turn are committed in one
 * transaction (group commit): a busy server pays for one commit per turn, not
 * one per request, and every answer still waits for its own row to be committed,
 * so a restart, even a crash, never forgets an accepted id.
 */
export class ReplayStore {
  private readonly insertAll;
  private readonly purge;
  private pending: Pending[] = [];

  constructor(db: Db) {
    const insert = db.prepare('INSERT OR IGNORE INTO s2s_seen_jti (iss, jti, exp) VALUES (?, ?, ?)');
    this.insertAll = db.transaction((rows: Pending[]) => rows.map((r) => insert.run(r.iss, r.jti, r.exp).changes === 1));
    this.purge = db.prepare('DELETE FROM s2s_seen_jti WHERE exp < ?');
  }

  /** True the first time this token (iss, jti and its exp) is seen, false for a replay; resolves once committed. */
  firstUse(iss: string, jti: string, exp: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ iss, jti, exp, resolve, reject }) === 1) setImmediate(() => this.commit());
    });
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    let firsts: boolean[];
    try {
      firsts = this.insertAll(batch);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => p.resolve(firsts[i]!));
  }

  /** Drops ids whose tokens could no longer pass the expiry check (exp + skew in the past). */
  purgeBefore(epochSeconds: number): number {
    return this.purge.run(epochSeconds).changes;
  }
}
