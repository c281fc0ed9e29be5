import type { Db } from './sqlite.js';

export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  time: string;
  note: string;
  signerX: string;
}

export interface ShippingState {
  acceptedSize: number;
  lastAttemptAt: string | null;
  lastShippedAt: string | null;
  lastError: string | null;
}

/** A site's own log. Entries are only ever inserted, in batches, never updated or deleted. */
export class LogStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      insert: db.prepare('INSERT INTO log_entries (idx, line, leaf) VALUES (?, ?, ?)'),
      leaves: db.prepare<[], { leaf: Buffer }>('SELECT leaf FROM log_entries ORDER BY idx'),
      last: db.prepare<[], { idx: number; leaf: Buffer }>('SELECT idx, leaf FROM log_entries ORDER BY idx DESC LIMIT 1'),
      range: db.prepare<[number, number], { idx: number; line: string }>('SELECT idx, line FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
      addCheckpoint: db.prepare('INSERT OR IGNORE INTO log_checkpoints (size, root, time, note, signer_x) VALUES (?, ?, ?, ?, ?)'),
      replaceCheckpoint: db.prepare('UPDATE log_checkpoints SET time = ?, note = ?, signer_x = ? WHERE size = ? AND root = ?'),
      latestTime: db.prepare<[], { time: string | null }>('SELECT MAX(time) AS time FROM log_checkpoints'),
      latestCheckpoint: db.prepare<[], { size: number; root: Buffer; time: string; note: string; signer_x: string }>('SELECT * FROM log_checkpoints ORDER BY size DESC LIMIT 1'),
      checkpointAtMost: db.prepare<[number], { size: number; root: Buffer; time: string; note: string; signer_x: string }>('SELECT * FROM log_checkpoints WHERE size <= ? ORDER BY size DESC LIMIT 1'),
      checkpoints: db.prepare<[], { size: number; root: Buffer; time: string; note: string; signer_x: string }>('SELECT * FROM log_checkpoints ORDER BY size'),
      addCosig: db.prepare('INSERT OR REPLACE INTO log_cosignatures (size, witness, line, received_at) VALUES (?, ?, ?, ?)'),
      latestCosig: db.prepare<[], { size: number; witness: string; line: string; received_at: string }>('SELECT * FROM log_cosignatures ORDER BY size DESC LIMIT 1'),
      shipping: db.prepare<[], { accepted_size: number; last_attempt_at: string | null; last_shipped_at: string | null; last_error: string | null }>('SELECT * FROM log_shipping WHERE id = 1'),
      setShipping: db.prepare('UPDATE log_shipping SET accepted_size = ?, last_attempt_at = ?, last_shipped_at = COALESCE(?, last_shipped_at), last_error = ? WHERE id = 1'),
    };
  }

  /** One transaction for a whole batch: the group commit. */
  insertBatch(rows: { index: number; line: string; leaf: Buffer }[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.q.insert.run(r.index, r.line, r.leaf);
    })();
  }

  allLeaves(): Buffer[] {
    return this.q.leaves.all().map((r) => r.leaf);
  }

  last(): { index: number; leaf: Buffer } | undefined {
    const r = this.q.last.get();
    return r ? { index: r.idx, leaf: r.leaf } : undefined;
  }

  /** The users who were answered this path (status < 400) while logged in: who viewed a page or product (news audiences). */
  usersWhoViewed(path: string): string[] {
    return this.db
      .prepare<[string], { u: string }>(
        "SELECT DISTINCT json_extract(line, '$.user') AS u FROM log_entries WHERE json_extract(line, '$.path') = ? AND json_extract(line, '$.user') IS NOT NULL AND json_extract(line, '$.status') < 400",
      )
      .all(path)
      .map((r) => r.u);
  }

  lines(from: number, to: number): string[] {
    return this.q.range.all(from, to).map((r) => r.line);
  }

  addCheckpoint(c: StoredCheckpoint): void {
    this.q.addCheckpoint.run(c.size, c.root, c.time, c.note, c.signerX);
  }

  /**
   * The same checkpoint (size and root) signed again with a later time: the
   * only change ever made to a stored checkpoint (SiteLog.resign says why).
   */
  replaceCheckpoint(c: StoredCheckpoint): void {
    if (this.q.replaceCheckpoint.run(c.time, c.note, c.signerX, c.size, c.root).changes !== 1) throw new Error(`no stored checkpoint of size ${c.size} with that root`);
  }

  /** The latest time of any stored checkpoint (ISO 8601 UTC strings order as times). */
  latestCheckpointTime(): string | undefined {
    return this.q.latestTime.get()?.time ?? undefined;
  }

  private static toCp(r: { size: number; root: Buffer; time: string; note: string; signer_x: string } | undefined): StoredCheckpoint | undefined {
    return r ? { size: r.size, root: r.root, time: r.time, note: r.note, signerX: r.signer_x } : undefined;
  }

  latestCheckpoint(): StoredCheckpoint | undefined {
    return LogStore.toCp(this.q.latestCheckpoint.get());
  }

  checkpointAtMost(size: number): StoredCheckpoint | undefined {
    return LogStore.toCp(this.q.checkpointAtMost.get(size));
  }

  checkpoints(): StoredCheckpoint[] {
    return this.q.checkpoints.all().map((r) => LogStore.toCp(r)!);
  }

  addCosignature(size: number, witness: string, line: string): void {
    this.q.addCosig.run(size, witness, line, new Date().toISOString());
  }

  latestCosignature(): { size: number; witness: string; line: string; receivedAt: string } | undefined {
    const r = this.q.latestCosig.get();
    return r ? { size: r.size, witness: r.witness, line: r.line, receivedAt: r.received_at } : undefined;
  }

  shipping(): ShippingState {
    const r = this.q.shipping.get()!;
    return { acceptedSize: r.accepted_size, lastAttemptAt: r.last_attempt_at, lastShippedAt: r.last_shipped_at, lastError: r.last_error };
  }

  setShipping(acceptedSize: number, shipped: boolean, error: string | null): void {
    const now = new Date().toISOString();
    this.q.setShipping.run(acceptedSize, now, shipped ? now : null, error);
  }
}
