import type Database from 'better-sqlite3';
import { entryPageSql, type EntryColumns, type EntryFilter, type EntryPageRequest, type StoredEntry } from '../../common/store/log-store.js';
import type { Db } from '../../common/store/sqlite.js';
import type { EntryFields } from '../../common/logchain/entry.js';

export interface WitnessedCheckpoint {
  site: string;
  size: number;
  root: Buffer;
  time: string;
  note: string;
  signerX: string;
  cosignature: string;
  acceptedAt: string;
}

export interface ForkEvidence {
  id: number;
  site: string;
  detectedAt: string;
  reason: string;
  acceptedNote: string;
  conflictingNote: string;
}

type CpRow = { site: string; size: number; root: Buffer; time: string; note: string; signer_x: string; cosignature: string; accepted_at: string };
const toCp = (r: CpRow): WitnessedCheckpoint => ({ site: r.site, size: r.size, root: r.root, time: r.time, note: r.note, signerX: r.signer_x, cosignature: r.cosignature, acceptedAt: r.accepted_at });

export interface AcceptedEntry {
  index: number;
  line: string;
  leaf: Buffer;
  fields: EntryFields;
}

export interface LogUsage {
  /** Distinct pages viewed (status 200) per kind in the period, and their sizes (the largest response of each); shop pages are not content. */
  content: { tieUpPages: number; originalPages: number; tieUpBytes: number; originalBytes: number };
  /** Successful page views (2xx or 304) of tie-up and original pages: the page accesses fees count (docs/fees.md). */
  tieUp: number;
  original: number;
  uniqueUsers: number;
  /** What the "all-answers" rule counts: every page answer below 400, shop pages as original (the rule before page views). */
  answers: { tieUp: number; original: number; content: LogUsage['content'] };
  /** Answers that are not page accesses, each under its own kind. */
  other: { shopActions: number; errors: number; assets: number; other: number };
  orders: { id: string; amount: number; currency: string }[];
  reversals: { orderId: string; orderAmount: number; currency: string; kind: 'cancel' | 'refund' }[];
}

export const emptyLogUsage = (): LogUsage => ({
  content: { tieUpPages: 0, originalPages: 0, tieUpBytes: 0, originalBytes: 0 },
  tieUp: 0,
  original: 0,
  uniqueUsers: 0,
  answers: { tieUp: 0, original: 0, content: { tieUpPages: 0, originalPages: 0, tieUpBytes: 0, originalBytes: 0 } },
  other: { shopActions: 0, errors: 0, assets: 0, other: 0 },
  orders: [],
  reversals: [],
});

type PagesRow = {
  site: string;
  tieUp: number | null;
  original: number | null;
  ansTieUp: number | null;
  ansOriginal: number | null;
  shop: number | null;
  errors: number | null;
  assets: number | null;
  other: number | null;
  users: number;
};
type ContentRow = { site: string; kind: string; pages: number; bytes: number; viewPages: number; viewBytes: number };
type OrderRow = { site: string; type: string; order_id: string; order_amount: number; currency: string };

/**
 * The shop's own paths (cart, checkout, an order's page), which entries
 * written before kind "shop" existed logged as original pages; as isShopPath
 * in common/fees/usage-from-bundle.ts. Exact comparisons, not LIKE (LIKE
 * ignores case); path > '/orders/' AND path < '/orders0' is "starts with
 * /orders/ and is longer" ('0' follows '/'), a cheap byte compare.
 */
const SHOP_PATH = `(path = '/cart' OR path = '/checkout' OR (path > '/orders/' AND path < '/orders0' AND instr(substr(path, 9), '/') = 0))`;

/**
 * Each page entry's class for fees (classifyPage in
 * common/fees/usage-from-bundle.ts), worked out once when the entry is stored
 * (column page_class, migration 004 fills it for older rows with this same
 * expression): counting a period then compares small integers instead of
 * testing kind, status and path for every counter of every row.
 *   1 error (status >= 400, any kind)
 *  10-13 kind tie-up: 10 view (2xx or 304), 11 shop path, 12 other answer, 13 no path
 *  20-23 kind original, as tie-up
 *  31 kind shop, 40 asset, 50 any other kind
 *  NULL: no status, or no kind below 400 (counted nowhere, as before)
 * "No path" keeps the three-valued logic the counters had when they tested
 * the path in each SUM: such rows are answers but neither views, shop actions
 * nor other answers.
 */
export const PAGE_CLASS_SQL = `CASE WHEN status >= 400 THEN 1 WHEN status < 400 THEN CASE kind
  WHEN 'tie-up' THEN CASE WHEN path IS NULL THEN 13 WHEN ${SHOP_PATH} THEN 11 WHEN (status >= 200 AND status < 300) OR status = 304 THEN 10 ELSE 12 END
  WHEN 'original' THEN CASE WHEN path IS NULL THEN 23 WHEN ${SHOP_PATH} THEN 21 WHEN (status >= 200 AND status < 300) OR status = 304 THEN 20 ELSE 22 END
  WHEN 'shop' THEN 31 WHEN 'asset' THEN 40 ELSE CASE WHEN kind IS NOT NULL THEN 50 END END END`;

/**
 * The counting queries, each for all sites (one grouped pass, like a plain
 * aggregation) and for one site (through the (site, time) index). FILTER, not
 * SUM(condition): a row steps only the counters it belongs to.
 */
function usageQueries(db: Db) {
  const pages = (where: string) =>
    `SELECT site,
       COUNT(*) FILTER (WHERE page_class = 10) AS tieUp, COUNT(*) FILTER (WHERE page_class = 20) AS original,
       COUNT(*) FILTER (WHERE page_class BETWEEN 10 AND 13) AS ansTieUp, COUNT(*) FILTER (WHERE page_class BETWEEN 20 AND 31) AS ansOriginal,
       COUNT(*) FILTER (WHERE page_class IN (11, 21, 31)) AS shop,
       COUNT(*) FILTER (WHERE page_class = 1) AS errors,
       COUNT(*) FILTER (WHERE page_class = 40) AS assets,
       COUNT(*) FILTER (WHERE page_class IN (12, 22, 50)) AS other,
       COUNT(DISTINCT user_id) FILTER (WHERE page_class BETWEEN 10 AND 31) AS users
     FROM witnessed_entries WHERE ${where} time >= ? AND time < ? AND type = 'page' GROUP BY site`;
  // Per (kind, path): the largest 200 answer; shop pages count as original pages only for "all-answers".
  // Classes 10-31 with status 200 are kinds tie-up (10-13), original (20-23) and shop (31, grouped as original);
  // a page without a path is never a shop page nor a view (NULL, as the path test was).
  const content = (where: string) =>
    `SELECT site, CASE WHEN original THEN 'original' ELSE 'tie-up' END AS kind, COUNT(*) AS pages, SUM(bytes) AS bytes, SUM(NOT shop) AS viewPages, SUM(CASE WHEN shop THEN 0 ELSE bytes END) AS viewBytes FROM (
       SELECT site, page_class >= 20 AS original, path, MAX(bytes) AS bytes, MAX(CASE WHEN page_class IN (13, 23) THEN NULL ELSE page_class IN (11, 21, 31) END) AS shop FROM witnessed_entries
       WHERE ${where} time >= ? AND time < ? AND type = 'page' AND status = 200 AND page_class BETWEEN 10 AND 31 GROUP BY site, page_class >= 20, path)
     GROUP BY site, original`;
  const orders = (where: string) =>
    `SELECT site, type, order_id, order_amount, currency FROM witnessed_entries
     WHERE ${where} time >= ? AND time < ? AND type IN ('order', 'cancel', 'refund') ORDER BY site, idx`;
  return {
    pagesAll: db.prepare<[string, string], PagesRow>(pages('')),
    pagesOne: db.prepare<[string, string, string], PagesRow>(pages('site = ? AND')),
    contentAll: db.prepare<[string, string], ContentRow>(content('')),
    contentOne: db.prepare<[string, string, string], ContentRow>(content('site = ? AND')),
    ordersAll: db.prepare<[string, string], OrderRow>(orders('')),
    ordersOne: db.prepare<[string, string, string], OrderRow>(orders('site = ? AND')),
  };
}

/** The fields the log browser filters on, as copied out of each accepted line (migration 002). */
const WITNESSED_COLUMNS: EntryColumns = { type: 'type', kind: 'kind', path: 'path', status: 'status', time: 'time', user: 'user_id' };

/** The partners' logs as witnessed by the main site. */
export class WitnessStore {
  private readonly q;
  private readonly browseStatements = new Map<string, Database.Statement<(string | number)[], StoredEntry>>();

  constructor(private readonly db: Db) {
    this.q = {
      leaves: db.prepare<[string], { leaf: Buffer }>('SELECT leaf FROM witnessed_entries WHERE site = ? ORDER BY idx'),
      // The class from the same values, by the same expression the migration used for older rows.
      insertEntry: db.prepare(
        `INSERT INTO witnessed_entries (site, idx, line, leaf, time, type, kind, status, user_id, order_id, order_amount, currency, path, bytes, page_class)
         SELECT *, ${PAGE_CLASS_SQL} FROM (SELECT @site AS site, @index AS idx, @line AS line, @leaf AS leaf, @time AS time, @type AS type, @kind AS kind, @status AS status,
           @user AS user_id, @orderId AS order_id, @orderAmount AS order_amount, @currency AS currency, @path AS path, @bytes AS bytes)`,
      ),
      ...usageQueries(db),
      entry: db.prepare<[string, number], StoredEntry>('SELECT idx AS "index", line, leaf FROM witnessed_entries WHERE site = ? AND idx = ?'),
      lines: db.prepare<[string, number, number], { idx: number; line: string; leaf: Buffer }>('SELECT idx, line, leaf FROM witnessed_entries WHERE site = ? AND idx >= ? AND idx < ? ORDER BY idx'),
      insertCp: db.prepare('INSERT INTO witnessed_checkpoints (site, size, root, time, note, signer_x, cosignature, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      latestCp: db.prepare<[string], CpRow>('SELECT * FROM witnessed_checkpoints WHERE site = ? ORDER BY size DESC LIMIT 1'),
      cpAt: db.prepare<[string, number], CpRow>('SELECT * FROM witnessed_checkpoints WHERE site = ? AND size = ?'),
      cps: db.prepare<[string], CpRow>('SELECT * FROM witnessed_checkpoints WHERE site = ? ORDER BY size'),
      addFork: db.prepare('INSERT INTO fork_evidence (site, detected_at, reason, accepted_note, conflicting_note) VALUES (?, ?, ?, ?, ?)'),
      forks: db.prepare<[string, string], { id: number; site: string; detected_at: string; reason: string; accepted_note: string; conflicting_note: string }>(
        "SELECT * FROM fork_evidence WHERE (? = '' OR site = ?) ORDER BY id DESC",
      ),
      setReported: db.prepare(
        'INSERT INTO witness_state (site, reported_size, last_ship_at) VALUES (?, ?, ?) ON CONFLICT (site) DO UPDATE SET reported_size = MAX(witness_state.reported_size, excluded.reported_size), last_ship_at = excluded.last_ship_at',
      ),
      reported: db.prepare<[string], { reported_size: number; last_ship_at: string | null }>('SELECT reported_size, last_ship_at FROM witness_state WHERE site = ?'),
    };
  }

  leaves(site: string): Buffer[] {
    return this.q.leaves.all(site).map((r) => r.leaf);
  }

  /**
   * A filtered page of one site's witnessed log, newest first: keyset over the
   * (site, idx) primary key; a user filter goes through the (site, user_id,
   * idx) index (migration 005), a time range may use (site, time).
   */
  browse(site: string, filter: EntryFilter, page: EntryPageRequest): StoredEntry[] {
    const { where, params, order } = entryPageSql(filter, page, WITNESSED_COLUMNS);
    const sql = `SELECT idx AS "index", line, leaf FROM witnessed_entries WHERE site = ? AND ${where} ORDER BY idx ${order} LIMIT ?`;
    let st = this.browseStatements.get(sql);
    if (!st) this.browseStatements.set(sql, (st = this.db.prepare<(string | number)[], StoredEntry>(sql)));
    const rows = st.all(site, ...params, page.limit);
    return order === 'ASC' ? rows.reverse() : rows;
  }

  entry(site: string, index: number): StoredEntry | undefined {
    return this.q.entry.get(site, index);
  }

  entries(site: string, from: number, to: number): { index: number; line: string; leaf: Buffer }[] {
    return this.q.lines.all(site, from, to).map((r) => ({ index: r.idx, line: r.line, leaf: r.leaf }));
  }

  /** Entries and the checkpoint they end at, in one transaction. */
  accept(site: string, entries: AcceptedEntry[], cp: Omit<WitnessedCheckpoint, 'site' | 'acceptedAt'>): void {
    this.db.transaction(() => {
      for (const e of entries) {
        const f = e.fields;
        this.q.insertEntry.run({
          site,
          index: e.index,
          line: e.line,
          leaf: e.leaf,
          time: f.time,
          type: f.type,
          kind: f.kind,
          status: f.status,
          user: f.user,
          orderId: f.order?.id ?? null,
          orderAmount: f.order?.amount ?? null,
          currency: f.order?.currency ?? null,
          path: f.path,
          bytes: f.bytes,
        });
      }
      this.q.insertCp.run(site, cp.size, cp.root, cp.time, cp.note, cp.signerX, cp.cosignature, new Date().toISOString());
    })();
  }

  /** What fees count in [from, to) for one site (see usageForAll). */
  usage(site: string, from: string, to: string): LogUsage {
    return this.usageForAll(from, to, site).get(site) ?? emptyLogUsage();
  }

  /**
   * usage() for every site at once, in one pass over the period. No checkpoint
   * bound is needed: accept() stores entries only in the same transaction as
   * the checkpoint that ends them, so every stored entry is covered.
   */
  usageForAll(from: string, to: string, onlySite?: string): Map<string, LogUsage> {
    const out = new Map<string, LogUsage>();
    const get = (site: string) => {
      let u = out.get(site);
      if (!u) out.set(site, (u = emptyLogUsage()));
      return u;
    };
    const run = <T>(all: { all(a: string, b: string): T[] }, one: { all(s: string, a: string, b: string): T[] }) => (onlySite ? one.all(onlySite, from, to) : all.all(from, to));
    for (const r of run(this.q.pagesAll, this.q.pagesOne)) {
      const u = get(r.site);
      Object.assign(u, { tieUp: r.tieUp ?? 0, original: r.original ?? 0, uniqueUsers: r.users });
      Object.assign(u.answers, { tieUp: r.ansTieUp ?? 0, original: r.ansOriginal ?? 0 });
      u.other = { shopActions: r.shop ?? 0, errors: r.errors ?? 0, assets: r.assets ?? 0, other: r.other ?? 0 };
    }
    for (const r of run(this.q.contentAll, this.q.contentOne)) {
      const u = get(r.site);
      if (r.kind === 'tie-up') {
        Object.assign(u.content, { tieUpPages: r.viewPages, tieUpBytes: r.viewBytes });
        Object.assign(u.answers.content, { tieUpPages: r.pages, tieUpBytes: r.bytes });
      } else {
        Object.assign(u.content, { originalPages: r.viewPages, originalBytes: r.viewBytes });
        Object.assign(u.answers.content, { originalPages: r.pages, originalBytes: r.bytes });
      }
    }
    for (const e of run(this.q.ordersAll, this.q.ordersOne)) {
      const u = get(e.site);
      if (e.type === 'order') u.orders.push({ id: e.order_id, amount: e.order_amount, currency: e.currency });
      else u.reversals.push({ orderId: e.order_id, orderAmount: e.order_amount, currency: e.currency, kind: e.type as 'cancel' | 'refund' });
    }
    return out;
  }

  /** A site's accepted `ad` entries in [from, to): the main site's advertisers' ads and its own (lease "own" in the path; docs/ads.md). */
  adCounts(site: string, from: string, to: string): { mainAds: number; ownAds: number } {
    const r = this.db
      .prepare(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN json_extract(line, '$.path') LIKE '/ads/%/own/%' THEN 1 ELSE 0 END) AS own FROM witnessed_entries WHERE site = ? AND type = 'ad' AND time >= ? AND time < ?",
      )
      .get(site, from, to) as { n: number; own: number | null };
    return { mainAds: r.n - (r.own ?? 0), ownAds: r.own ?? 0 };
  }

  /** Every user the partners' accepted logs show answered this path (status < 400): who viewed a page or product there (news audiences). */
  usersWhoViewed(path: string): string[] {
    return this.db
      .prepare<[string], { u: string }>('SELECT DISTINCT user_id AS u FROM witnessed_entries WHERE path = ? AND user_id IS NOT NULL AND status < 400')
      .all(path)
      .map((r) => r.u);
  }

  latestCheckpoint(site: string): WitnessedCheckpoint | undefined {
    const r = this.q.latestCp.get(site);
    return r ? toCp(r) : undefined;
  }

  checkpointAt(site: string, size: number): WitnessedCheckpoint | undefined {
    const r = this.q.cpAt.get(site, size);
    return r ? toCp(r) : undefined;
  }

  checkpoints(site: string): WitnessedCheckpoint[] {
    return this.q.cps.all(site).map(toCp);
  }

  addFork(site: string, reason: string, acceptedNote: string, conflictingNote: string): void {
    this.q.addFork.run(site, new Date().toISOString(), reason, acceptedNote, conflictingNote);
  }

  forks(site: string | null): ForkEvidence[] {
    return this.q.forks
      .all(site ?? '', site ?? '')
      .map((r) => ({ id: r.id, site: r.site, detectedAt: r.detected_at, reason: r.reason, acceptedNote: r.accepted_note, conflictingNote: r.conflicting_note }));
  }

  setReported(site: string, size: number): void {
    this.q.setReported.run(site, size, new Date().toISOString());
  }

  reported(site: string): { reportedSize: number; lastShipAt: string | null } {
    const r = this.q.reported.get(site);
    return { reportedSize: r?.reported_size ?? 0, lastShipAt: r?.last_ship_at ?? null };
  }
}
