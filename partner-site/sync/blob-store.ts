import { sha256Hex } from '../../common/release/manifest.js';
import type { Db } from '../../common/store/sqlite.js';

/** Content-addressed blobs of the releases a partner holds. A blob is stored only after its hash checked. */
export class BlobStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      has: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM blobs WHERE sha256 = ?'),
      get: db.prepare<[string], { data: Buffer }>('SELECT data FROM blobs WHERE sha256 = ?'),
      // A blob is stored only after its hash checked, so replacing a stored one is safe, and repairs a damaged one.
      put: db.prepare('INSERT INTO blobs (sha256, size, data) VALUES (?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, data = excluded.data'),
      del: db.prepare('DELETE FROM blobs WHERE sha256 = ?'),
      all: db.prepare<[], { sha256: string }>('SELECT sha256 FROM blobs'),
    };
  }

  has(sha: string): boolean {
    return this.q.has.get(sha) !== undefined;
  }

  /** Stores every blob in one transaction, or none: throws on the first that does not hash to its name. */
  putMany(blobs: { sha256: string; data: Buffer }[]): void {
    for (const b of blobs) if (sha256Hex(b.data) !== b.sha256) throw new Error(`blob does not match its hash ${b.sha256}`);
    this.db.transaction(() => {
      for (const b of blobs) this.q.put.run(b.sha256, b.data.length, b.data);
    })();
  }

  put(sha: string, data: Buffer): void {
    this.putMany([{ sha256: sha, data }]);
  }

  read(sha: string): Buffer {
    const r = this.q.get.get(sha);
    if (!r) throw new Error(`blob ${sha} is not stored`);
    return r.data;
  }

  /**
   * The stored bytes only if they still hash to their name; null when missing or
   * damaged (changed on disk behind the site's back). What is served goes through here.
   */
  readVerified(sha: string): Buffer | null {
    const r = this.q.get.get(sha);
    return r !== undefined && sha256Hex(r.data) === sha ? r.data : null;
  }

  /** True when the stored bytes still hash to their name. */
  intact(sha: string): boolean {
    const r = this.q.get.get(sha);
    return r !== undefined && sha256Hex(r.data) === sha;
  }

  remove(sha: string): void {
    this.q.del.run(sha);
  }

  /** Deletes every blob not in `keep`. */
  prune(keep: Set<string>): number {
    let n = 0;
    this.db.transaction(() => {
      for (const { sha256 } of this.q.all.all()) {
        if (!keep.has(sha256)) n += this.q.del.run(sha256).changes;
      }
    })();
    return n;
  }
}
