import type Database from 'better-sqlite3';
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

/**
 * What the console's log browser narrows a log to (parsed and checked by
 * common/logs/entry-filter.ts). Times are ISO 8601 UTC as entries store them,
 * so they compare as strings; `to` is exclusive.
 */
export interface EntryFilter {
  type?: string;
  kind?: string;
  pathPrefix?: string;
  status?: { min: number; max: number };
  from?: string;
  to?: string;
  user?: string;
}

/** A keyset page: entries below `before` (older) or above `after` (newer), newest first either way. */
export interface EntryPageRequest {
  before?: number;
  after?: number;
  limit: number;
}

export interface StoredEntry {
  index: number;
  line: string;
  leaf: Buffer;
}

/** The SQL expression of each filterable field in a table of entries. */
export type EntryColumns = Record<'type' | 'kind' | 'path' | 'status' | 'time' | 'user', string>;

/**
 * The WHERE clause and parameters of a filtered keyset page, shared by this
 * store (fields read from the line) and the witness store (fields copied into
 * columns). Keyset, never OFFSET: a page costs the same at the end of a huge
 * log as at its head, and entries appended meanwhile do not shift it.
 */
export function entryPageSql(f: EntryFilter, page: EntryPageRequest, c: EntryColumns): { where: string; params: (string | number)[]; order: 'ASC' | 'DESC' } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: string, ...p: (string | number)[]) => {
    where.push(sql);
    params.push(...p);
  };
  if (f.type !== undefined) add(`${c.type} = ?`, f.type);
  if (f.kind !== undefined) add(`${c.kind} = ?`, f.kind);
  // instr(), not LIKE: LIKE ignores case and treats % and _ in a path as wildcards.
  if (f.pathPrefix !== undefined) add(`instr(${c.path}, ?) = 1`, f.pathPrefix);
  if (f.status !== undefined) add(`${c.status} BETWEEN ? AND ?`, f.status.min, f.status.max);
  if (f.from !== undefined) add(`${c.time} >= ?`, f.from);
  if (f.to !== undefined) add(`${c.time} < ?`, f.to);
  if (f.user !== undefined) add(`${c.user} = ?`, f.user);
  if (page.before !== undefined) add('idx < ?', page.before);
  if (page.after !== undefined) add('idx > ?', page.after);
  return { where: where.length ? where.join(' AND ') : '1', params, order: page.after !== undefined && page.before === undefined ? 'ASC' : 'DESC' };
}

const LINE_COLUMNS: EntryColumns = {
  type: "json_extract(line, '$.type')",
  kind: "json_extract(line, '$.kind')",
  path: "json_extract(line, '$.path')",
  status: "json_extract(line, '$.status')",
  time: "json_extract(line, '$.time')",
  user: "json_extract(line, '$.user')",
};

/** A site's own log. Entries are only ever inserted, in batches, never updated or deleted. */
export class LogStore {
  private readonly q;
  /** Browse statements by their SQL: a few shapes (which filters are set), each prepared once. */
  private readonly browseStatements = new Map<string, Database.Statement<(string | number)[], StoredEntry>>();

  constructor(private readonly db: Db) {
    this.q = {
      insert: db.prepare('INSERT INTO log_entries (idx, line, leaf) VALUES (?, ?, ?)'),
      leaves: db.prepare<[], { leaf: Buffer }>('SELECT leaf FROM log_entries ORDER BY idx'),
      last: db.prepare<[], { idx: number; leaf: Buffer }>('SELECT idx, leaf FROM log_entries ORDER BY idx DESC LIMIT 1'),
      entry: db.prepare<[number], StoredEntry>('SELECT idx AS "index", line, leaf FROM log_entries WHERE idx = ?'),
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

  /**
   * A filtered page of the log, newest first. The fields are read from each
   * line (this table keeps only the line and its leaf, and adding columns or
   * indexes would tax every append), walking the primary key down from the
   * cursor: cheap for the filters an operator uses on recent traffic.
   */
  browse(filter: EntryFilter, page: EntryPageRequest): StoredEntry[] {
    const { where, params, order } = entryPageSql(filter, page, LINE_COLUMNS);
    const sql = `SELECT idx AS "index", line, leaf FROM log_entries WHERE ${where} ORDER BY idx ${order} LIMIT ?`;
    let st = this.browseStatements.get(sql);
    if (!st) this.browseStatements.set(sql, (st = this.db.prepare<(string | number)[], StoredEntry>(sql)));
    const rows = st.all(...params, page.limit);
    return order === 'ASC' ? rows.reverse() : rows;
  }

  entry(index: number): StoredEntry | undefined {
    return this.q.entry.get(index);
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
