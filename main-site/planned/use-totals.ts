import { decodeEntry } from '../../common/logchain/entry.js';
import { ACCESS_PATH_RE } from '../../common/planned/index.js';
import type { SiteContext } from '../../common/site/context.js';
import type { Contribution, Order } from './planned-store.js';
import type { UseTotalsRow, UseTotalsStore } from './use-totals-store.js';

/** What counting needs of the planned store: the orders entries name and who contributed what. */
export interface CountingLookups {
  order(id: string): Order | undefined;
  contribution(id: string): Contribution | undefined;
}

/** Lines read from the log per step, so a long catch-up never holds the whole log in memory. */
/** What one planned log entry delivered: every contribution of the order, or the one file an access names; null for an access path that names none. */
export function deliveredBy(e: { type: string; path: string }, delivers: readonly string[]): readonly string[] | null {
  if (e.type !== 'planned_access') return delivers;
  const m = ACCESS_PATH_RE.exec(e.path);
  if (!m) return null;
  return m[3] === 'file' ? [m[4]!] : delivers;
}

/** Adds one planned log entry to a totals line: sales and refunds (money on the planner's line only), views of the HTML form, other accesses as downloads. */
export function tallyEntry(t: { role: string; sales: number; refunds: number; amount: number; views: number; downloads: number }, e: { type: string; path: string }, amount: number): void {
  if (e.type === 'planned_sale') {
    t.sales++;
    if (t.role === 'planner') t.amount += amount;
  } else if (e.type === 'planned_refund') {
    t.refunds++;
    if (t.role === 'planner') t.amount -= amount;
  } else if (/\/html$/.test(e.path)) t.views++;
  else t.downloads++;
}

const STEP = 5000;
/** Orders and contributions remembered between passes, at most (then forgotten all at once). */
const REMEMBERED = 100_000;

/**
 * What counting reads of an order (page, planner, what it delivers, amount)
 * and of a contribution (its contributor) never changes once written, so a
 * pass of a few new entries need not look the same orders up again. What
 * was not found is not remembered: it may be written later.
 */
function rememberingLookups(l: CountingLookups): CountingLookups {
  const orders = new Map<string, Order>();
  const contributions = new Map<string, Contribution>();
  const remember = <T>(m: Map<string, T>, id: string, v: T | undefined): T | undefined => {
    if (v === undefined) return v;
    if (m.size >= REMEMBERED) m.clear();
    m.set(id, v);
    return v;
  };
  return {
    order: (id) => orders.get(id) ?? remember(orders, id, l.order(id)),
    contribution: (id) => contributions.get(id) ?? remember(contributions, id, l.contribution(id)),
  };
}

/**
 * Use totals kept up to date from the signed log instead of recounted: the
 * cursor remembers the first log index not yet counted (per source log,
 * with the log's Merkle root at that size), and each call counts only the
 * entries appended since, adding them to the running totals per period,
 * party, page and contribution in one transaction with the cursor's move.
 *
 * A log whose root at the cursor is not the one remembered is not the log
 * that was counted (a restored or replaced database): everything is counted
 * again from its start rather than added on top of another log's counts.
 */
export class UseTotals {
  private readonly lookups: CountingLookups;
  constructor(
    private readonly ctx: SiteContext,
    private readonly store: UseTotalsStore,
    lookups: CountingLookups,
  ) {
    this.lookups = rememberingLookups(lookups);
  }

  private get source(): string {
    return this.ctx.config.siteId;
  }

  /** Counts the entries below `upTo` not counted yet. `upTo` is at most the log's committed size. */
  advance(upTo: number): void {
    const { log } = this.ctx;
    let cur = this.store.cursor(this.source);
    if (cur && (cur.nextIndex > log.size || (cur.nextIndex > 0 && log.root(cur.nextIndex).toString('hex') !== cur.root))) {
      this.ctx.logger.warn(
        { event: 'planned_totals_recount', source: this.source, cursor: cur.nextIndex, size: log.size },
        'use totals: the log is not the one counted so far; counting it again from its start',
      );
      this.store.reset(this.source);
      cur = undefined;
    }
    const from = cur?.nextIndex ?? 0;
    if (upTo <= from) return;
    const rows = countEntries(this.ctx, this.lookups, from, upTo);
    this.store.apply(this.source, rows.values(), { nextIndex: upTo, root: log.root(upTo).toString('hex') }, new Date().toISOString());
  }

  /** A period's running totals, counted up to `upTo` first. */
  period(period: string, upTo: number): UseTotalsRow[] {
    this.advance(upTo);
    return this.store.period(period);
  }

  /** Each contribution's uses on a page so far (every committed entry counted). */
  useCounts(page: string): Map<string, number> {
    this.advance(this.ctx.log.size);
    return this.store.useCounts(page);
  }
}

/**
 * The totals the entries [from, upTo) of the log add, per period (the UTC
 * month of each entry), role, party, page and contribution: a sale or
 * refund counts for the page's planner (with its amount) and for every
 * contribution the order delivered; an access to bought content counts a
 * view (HTML) or a download (PDF, Markdown, a file, which counts for its
 * own contribution only).
 */
export function countEntries(ctx: SiteContext, lookups: CountingLookups, from: number, upTo: number): Map<string, UseTotalsRow> {
  const rows = new Map<string, UseTotalsRow>();
  const orders = new Map<string, Order | null>();
  const orderOf = (id: string): Order | null => {
    let o = orders.get(id);
    if (o === undefined) orders.set(id, (o = lookups.order(id) ?? null));
    return o;
  };
  // Who contributed what, once per pass: an order of a whole page delivers every contribution on it.
  const contributors = new Map<string, string | null>();
  const contributorOf = (id: string): string | null => {
    let c = contributors.get(id);
    if (c === undefined) contributors.set(id, (c = lookups.contribution(id)?.contributor ?? null));
    return c;
  };
  const row = (period: string, role: UseTotalsRow['role'], party: string, o: Order, contribution: string): UseTotalsRow => {
    const key = `${period}\n${role}\n${party}\n${o.pageId}\n${contribution}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { period, role, party, page: o.pageId, contribution, currency: o.currency, sales: 0, refunds: 0, amount: 0, views: 0, downloads: 0 }));
    return r;
  };
  for (let at = from; at < upTo; at += STEP) {
    for (const line of ctx.logStore.lines(at, Math.min(upTo, at + STEP))) {
      // A cheap test before parsing: most entries are page views.
      if (!line.includes('"planned_')) continue;
      const e = decodeEntry(line);
      if (!e || !e.order || (e.type !== 'planned_access' && e.type !== 'planned_sale' && e.type !== 'planned_refund')) continue;
      // A refund's id is its order's id and "-r"; order ids never end so.
      const id = e.type === 'planned_refund' ? e.order.id.replace(/-r$/, '') : e.order.id;
      const o = orderOf(id);
      if (!o) continue;
      const period = e.time.slice(0, 7);
      const targets = [row(period, 'planner', o.planner, o, '')];
      const ids = deliveredBy(e, o.delivers);
      if (!ids) continue;
      for (const c of ids) {
        const contributor = contributorOf(c);
        if (contributor) targets.push(row(period, 'contributor', contributor, o, c));
      }
      for (const t of targets) tallyEntry(t, e, o.amount);
    }
  }
  return rows;
}
