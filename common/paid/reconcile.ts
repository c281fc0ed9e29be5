import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { decodeEntry } from '../logchain/entry.js';
import { MINOR_UNITS, roundDiv } from '../money.js';
import { ITEM_ID_RE } from './item.js';

/**
 * Reconciliation of a partner's sales statement with the main site's own
 * records (seed 【0145】【0152】-【0153】, S23-S24). Pure: the main site runs it
 * online from its store, and `tieup paid reconcile` runs it offline from the
 * two sites' verified log bundles; both call `classify` with the same inputs.
 *
 * A charge is what a partner billed its member: one per issued key of a
 * per-access item, one per subscription period. Charges of amount 0 (a free
 * item, a period item's key) carry no money and are not reconciled.
 */
export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const reconcilePeriod = z.string().regex(PERIOD_RE, 'a period is a calendar month, YYYY-MM (UTC)');

/** [start, end) of a UTC calendar month. */
export function monthBounds(period: string): { from: string; to: string } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { from: new Date(Date.UTC(y, m - 1, 1)).toISOString(), to: new Date(Date.UTC(y, m, 1)).toISOString() };
}

export const statementLine = z.strictObject({
  item: z.string().regex(ITEM_ID_RE, 'an item id'),
  user: z.string().min(1).max(64),
  /** When the partner charged its member (UTC). */
  at: z.iso.datetime(),
  amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type StatementLine = z.output<typeof statementLine>;

export const checkpointRef = z.strictObject({ size: z.int().min(0), root: z.string().regex(/^([0-9a-f]{64})?$/) });
export type CheckpointRef = z.output<typeof checkpointRef>;

/** What a partner submits: every charge of the period, one line each, in one currency. */
export const salesStatement = z.strictObject({
  period: reconcilePeriod,
  currency: z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit'),
  lines: z.array(statementLine).max(200_000),
  /** The partner's own log checkpoint its lines were read up to (absent for a statement typed from another billing system). */
  checkpoint: checkpointRef.nullable().default(null),
});
export type SalesStatement = z.output<typeof salesStatement>;

/** One charge the main site holds for a partner: a per-access key or a subscription period. */
export interface MainCharge {
  id: string;
  kind: 'access' | 'period';
  item: string;
  user: string;
  at: string;
  amount: number;
}

export const DIFFERENCE_KINDS = ['missing_at_main', 'missing_at_partner', 'count_differs', 'amount_differs', 'outside_period'] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];
export const DIFFERENCE_LABELS: Record<DifferenceKind, string> = {
  missing_at_main: 'missing at the main site',
  missing_at_partner: 'missing at the partner',
  count_differs: 'count differs',
  amount_differs: 'amount differs',
  outside_period: 'outside the period',
};

/** One (item, member) compared, or one charge outside the period. */
export interface ReconLine {
  item: string;
  user: string;
  status: 'ok' | DifferenceKind;
  partner: { count: number; amount: number };
  main: { count: number; amount: number };
  /** outside_period: when the partner says it charged. */
  at?: string;
}

export interface ReconItem {
  item: string;
  partner: { count: number; amount: number };
  main: { count: number; amount: number };
  differences: number;
}

export interface Classification {
  period: string;
  lines: ReconLine[];
  items: ReconItem[];
  differences: Record<DifferenceKind, number>;
  /** 'reconciled' when every line is ok, else 'held'. */
  outcome: 'reconciled' | 'held';
}

const pairKey = (item: string, user: string) => `${item}\n${user}`;

/**
 * Line by line: the partner's charges in the period and the main site's,
 * grouped by (item, member). A partner line dated outside the period is a
 * difference of its own; the rest compare by count, then by amount.
 */
export function classify(period: string, partnerLines: readonly StatementLine[], main: readonly MainCharge[]): Classification {
  const { from, to } = monthBounds(period);
  const lines: ReconLine[] = [];
  const p = new Map<string, { item: string; user: string; count: number; amount: number }>();
  const m = new Map<string, { item: string; user: string; count: number; amount: number }>();
  for (const l of partnerLines) {
    if (l.amount === 0) continue;
    const at = new Date(l.at).toISOString();
    if (at < from || at >= to) {
      lines.push({ item: l.item, user: l.user, status: 'outside_period', partner: { count: 1, amount: l.amount }, main: { count: 0, amount: 0 }, at });
      continue;
    }
    const k = pairKey(l.item, l.user);
    const g = p.get(k) ?? { item: l.item, user: l.user, count: 0, amount: 0 };
    g.count++;
    g.amount += l.amount;
    p.set(k, g);
  }
  for (const c of main) {
    if (c.amount === 0 || c.at < from || c.at >= to) continue;
    const k = pairKey(c.item, c.user);
    const g = m.get(k) ?? { item: c.item, user: c.user, count: 0, amount: 0 };
    g.count++;
    g.amount += c.amount;
    m.set(k, g);
  }
  for (const k of new Set([...p.keys(), ...m.keys()])) {
    const a = p.get(k);
    const b = m.get(k);
    const g = (a ?? b)!;
    const partner = { count: a?.count ?? 0, amount: a?.amount ?? 0 };
    const mainSide = { count: b?.count ?? 0, amount: b?.amount ?? 0 };
    const status: ReconLine['status'] = !b ? 'missing_at_main' : !a ? 'missing_at_partner' : a.count !== b.count ? 'count_differs' : a.amount !== b.amount ? 'amount_differs' : 'ok';
    lines.push({ item: g.item, user: g.user, status, partner, main: mainSide });
  }
  lines.sort((x, y) => (x.item < y.item ? -1 : x.item > y.item ? 1 : x.user < y.user ? -1 : x.user > y.user ? 1 : (x.at ?? '') < (y.at ?? '') ? -1 : (x.at ?? '') > (y.at ?? '') ? 1 : 0));
  const differences = Object.fromEntries(DIFFERENCE_KINDS.map((d) => [d, 0])) as Record<DifferenceKind, number>;
  const items = new Map<string, ReconItem>();
  for (const l of lines) {
    const it = items.get(l.item) ?? { item: l.item, partner: { count: 0, amount: 0 }, main: { count: 0, amount: 0 }, differences: 0 };
    it.partner.count += l.partner.count;
    it.partner.amount += l.partner.amount;
    it.main.count += l.main.count;
    it.main.amount += l.main.amount;
    if (l.status !== 'ok') {
      it.differences++;
      differences[l.status]++;
    }
    items.set(l.item, it);
  }
  const held = lines.some((l) => l.status !== 'ok');
  return { period, lines, items: [...items.values()], differences, outcome: held ? 'held' : 'reconciled' };
}

/** The first '/' splits the main site's "<partner>/<user>" (partner ids have none). */
function splitUser(u: string | null): [string, string] | null {
  if (!u) return null;
  const i = u.indexOf('/');
  return i > 0 ? [u.slice(0, i), u.slice(i + 1)] : null;
}

function* entriesOf(bundle: string, size: number) {
  let at = 0;
  while (at < bundle.length) {
    const nl = bundle.indexOf('\n', at);
    const line = bundle.slice(at, nl < 0 ? bundle.length : nl);
    at = nl < 0 ? bundle.length : nl + 1;
    if (!line.startsWith('{"v":1')) continue;
    const e = decodeEntry(line);
    if (e && e.index < size) yield e;
  }
}

/** The partners the main site's own log records charges for, below `size` (sorted). */
export function partnersInMainLog(bundle: string, size: number): string[] {
  const out = new Set<string>();
  for (const e of entriesOf(bundle, size)) {
    if ((e.type !== 'key_issued' && e.type !== 'subscribed') || !e.order) continue;
    const pu = splitUser(e.user);
    if (pu) out.add(pu[0]);
  }
  return [...out].sort();
}

/**
 * The main site's charges for one partner, from its own log: `key_issued`
 * entries (path /paid/<key id>/<item>) and `subscribed` entries (path
 * /paid/<item>), below `size`. The same records the store holds, written in
 * the same step as each row.
 */
export function mainChargesFromLog(bundle: string, partner: string, size: number): MainCharge[] {
  const out: MainCharge[] = [];
  for (const e of entriesOf(bundle, size)) {
    if ((e.type !== 'key_issued' && e.type !== 'subscribed') || !e.order) continue;
    const pu = splitUser(e.user);
    if (!pu || pu[0] !== partner) continue;
    const parts = e.path.split('/');
    const item = e.type === 'key_issued' ? parts[3] : parts[2];
    if (!item) continue;
    out.push({ id: e.order.id, kind: e.type === 'key_issued' ? 'access' : 'period', item, user: pu[1], at: e.time, amount: e.order.amount });
  }
  return out;
}

/** A partner's charges to its members, from its own log: `charge` entries (path /paid/<item>, user the member), below `size`. */
export function partnerLinesFromLog(bundle: string, size: number): { lines: StatementLine[]; currencies: string[] } {
  const lines: StatementLine[] = [];
  const currencies = new Set<string>();
  for (const e of entriesOf(bundle, size)) {
    if (e.type !== 'charge' || !e.order || !e.user) continue;
    const item = e.path.split('/')[2];
    if (!item) continue;
    currencies.add(e.order.currency);
    lines.push({ item, user: e.user, at: e.time, amount: e.order.amount });
  }
  return { lines, currencies: [...currencies] };
}

const CSV_HEADER = 'item,user,at,amount';

/** A statement's lines as CSV (the partner's console offers it for download and takes it back). */
export function statementCsv(lines: readonly StatementLine[]): string {
  return stringify([CSV_HEADER.split(','), ...lines.map((l) => [l.item, l.user, l.at, String(l.amount)])]);
}

/** Lines from CSV "item,user,at,amount" (amount in minor units); throws with the row that is wrong. */
export function parseStatementCsv(text: string): StatementLine[] {
  let rows: string[][];
  try {
    // Quoted fields, doubled quotes, CRLF or LF, a byte-order mark: csv-parse reads them all; blank lines are skipped.
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true });
  } catch (err) {
    throw new Error(`the file is not CSV: ${(err as Error).message}`, { cause: err });
  }
  if (!rows.length || rows[0]!.map((h) => h.trim().toLowerCase()).join(',') !== CSV_HEADER) throw new Error(`the first row must be the header "${CSV_HEADER}"`);
  return rows.slice(1).map((r, i) => {
    const [item = '', user = '', at = '', amount = ''] = r.map((c) => c.trim());
    const parsed = statementLine.safeParse({ item, user, at, amount: /^\d+$/.test(amount) ? Number(amount) : amount });
    if (r.length !== 4 || !parsed.success)
      throw new Error(`row ${i + 2}: ${parsed.success ? 'four columns are expected' : parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return parsed.data;
  });
}

/**
 * The seed's Fig. 28 (請求照合レポート) arithmetic, per item of one partner's
 * month: valid = new + continuing for period items, new alone for per-access
 * items; partner sales = price x valid; the main site's share of them (the
 * seed: 50%) rounded once per line by the fee engine's rule; growth against
 * the previous month = (valid - continuing) / continuing x 100, in hundredths
 * of a percent (null without continuing members). Totals per charge type and
 * overall are sums of the lines.
 */
export interface SalesRowInput {
  item: string;
  chargeType: 'per_access' | 'per_period';
  price: number;
  newCount: number;
  continuing: number;
}
export interface SalesRow extends SalesRowInput {
  valid: number;
  partnerSales: number;
  mainShare: number;
  growthBp: number | null;
}
export interface SalesTotal {
  newCount: number;
  continuing: number;
  valid: number;
  partnerSales: number;
  mainShare: number;
}

export function salesSummary(rows: readonly SalesRowInput[], mainShareBps: number): { rows: SalesRow[]; perPeriod: SalesTotal; perAccess: SalesTotal; total: SalesTotal } {
  const zero = (): SalesTotal => ({ newCount: 0, continuing: 0, valid: 0, partnerSales: 0, mainShare: 0 });
  const perPeriod = zero();
  const perAccess = zero();
  const total = zero();
  const out = rows.map((r) => {
    const valid = r.chargeType === 'per_period' ? r.newCount + r.continuing : r.newCount;
    const partnerSales = r.price * valid;
    const mainShare = roundDiv(BigInt(partnerSales) * BigInt(mainShareBps), 10_000n);
    const growthBp = r.continuing === 0 ? null : roundDiv(BigInt(valid - r.continuing) * 10_000n, BigInt(r.continuing));
    for (const t of [r.chargeType === 'per_period' ? perPeriod : perAccess, total]) {
      t.newCount += r.newCount;
      t.continuing += r.continuing;
      t.valid += valid;
      t.partnerSales += partnerSales;
      t.mainShare += mainShare;
    }
    return { ...r, valid, partnerSales, mainShare, growthBp };
  });
  return { rows: out, perPeriod, perAccess, total };
}
