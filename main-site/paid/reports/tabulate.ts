import type { CycleWindow } from './cycles.js';
import type { KeyCell, SubscriptionCell } from './report-store.js';

/** What a report needs to know of an item (from the current release). */
export interface ItemInfo {
  id: string;
  title: string;
  supplier: string;
  category: string;
  chargeType: 'per_access' | 'per_period';
}

/**
 * One line of a report: an item at a partner, or a total.
 *
 * - accesses: keys issued in the cycle (each is one charged access for a
 *   per-access item, seed 【0120】; for a period item it is an opening,
 *   recorded for analysis); tenDays: the same split by day of the month
 *   (1-10, 11-20, 21-end; seed Fig. 25).
 * - registered: subscriptions registered in the cycle (new); monthToDate:
 *   registered from the 1st of the month to the cycle's end; continuing:
 *   registered earlier and running at the cycle's start (seed Fig. 24).
 * - valid: per-period items registered + continuing; per-access items the
 *   accesses (seed Fig. 28). previousValid: the same in the cycle before.
 * - growth: (valid - previousValid) / previousValid x 100, two decimals;
 *   null when previousValid is 0 (docs/paid-content.md, "Sales reports").
 * - sales: charges in the cycle by currency, in minor units (per-access keys
 *   and subscriptions registered in the cycle).
 */
export interface Line {
  accesses: number;
  tenDays: [number, number, number];
  registered: number;
  monthToDate: number;
  continuing: number;
  valid: number;
  previousValid: number;
  growth: number | null;
  sales: Record<string, number>;
}

/** One item at one partner: the same object is listed under its item and under its partner. */
export type Cell = { item: string; partner: string } & Line;

export interface ItemRow {
  item: string;
  title: string;
  category: string;
  supplier: string;
  chargeType: 'per_access' | 'per_period';
  /** By accesses among every item of the site (1 = most; equal accesses share a rank). */
  rank: number;
  /** The same among the items of its category. */
  categoryRank: number;
  partners: Cell[];
  total: Line;
}

export interface PartnerRow {
  partner: string;
  items: Cell[];
  total: Line;
}

export interface Tabulated {
  cycle: CycleWindow['cycle'];
  period: string;
  from: string;
  to: string;
  /** The supplier whose items the report shows, or null for every item (the operator's). */
  supplier: string | null;
  /** How many items the ranks are among (every item of the site, and of each category). */
  rankedItems: number;
  categorySizes: Record<string, number>;
  /** Per item, totalled by partner (seed 【0144】, Fig. 23). */
  items: ItemRow[];
  /** Per partner, totalled by item. */
  partners: PartnerRow[];
  total: Line;
}

export const growthOf = (valid: number, previousValid: number): number | null => (previousValid === 0 ? null : Math.round(((valid - previousValid) / previousValid) * 10000) / 100);

function emptyLine(): Line {
  return { accesses: 0, tenDays: [0, 0, 0], registered: 0, monthToDate: 0, continuing: 0, valid: 0, previousValid: 0, growth: null, sales: {} };
}

function addTo(t: Line, l: Line): void {
  t.accesses += l.accesses;
  t.tenDays[0] += l.tenDays[0];
  t.tenDays[1] += l.tenDays[1];
  t.tenDays[2] += l.tenDays[2];
  t.registered += l.registered;
  t.monthToDate += l.monthToDate;
  t.continuing += l.continuing;
  t.valid += l.valid;
  t.previousValid += l.previousValid;
  for (const c in l.sales) t.sales[c] = (t.sales[c] ?? 0) + l.sales[c]!;
}

const finish = (t: Line): Line => ((t.growth = growthOf(t.valid, t.previousValid)), t);
const byPartner = (x: Cell, y: Cell) => (x.partner < y.partner ? -1 : x.partner > y.partner ? 1 : 0);

/** Competition ranking (1, 2, 2, 4) by descending value. */
function ranks<T>(list: T[], value: (t: T) => number): Map<T, number> {
  const sorted = [...list].sort((a, b) => value(b) - value(a));
  const out = new Map<T, number>();
  sorted.forEach((t, i) => out.set(t, i > 0 && value(sorted[i - 1]!) === value(t) ? out.get(sorted[i - 1]!)! : i + 1));
  return out;
}

/**
 * Turns the aggregated cells of one cycle into the report: lines per item and
 * partner, totals per item (over partners), per partner (over items) and in
 * all, and ranks. Ranks are over every item of the site, so a supplier learns
 * where its items stand without seeing anyone else's; the rows are then only
 * the supplier's items. One object per item and partner, listed both ways
 * (the report of 1,000 x 1,000 is a million of them; see bench/paid-report.ts).
 */
export function tabulate(w: CycleWindow, keyCells: readonly KeyCell[], subCells: readonly SubscriptionCell[], catalog: ReadonlyMap<string, ItemInfo>, supplier: string | null): Tabulated {
  // Per item: its cells in arrival order, and beside them (same position) the previous cycle's accesses and
  // subscriptions, kept apart until the item's charge type says which one is "previous valid".
  const cells = new Map<string, { list: Cell[]; prev: number[]; at: Map<string, number> | undefined }>();
  const newCell = (item: string, partner: string): Cell => ({
    item,
    partner,
    accesses: 0,
    tenDays: [0, 0, 0],
    registered: 0,
    monthToDate: 0,
    continuing: 0,
    valid: 0,
    previousValid: 0,
    growth: null,
    sales: {},
  });
  // Key rows come ordered by item, partner and part (the statement's ORDER BY): each cell's rows are
  // consecutive and no cell comes back, so they need no lookup.
  let e: { list: Cell[]; prev: number[]; at: Map<string, number> | undefined } | undefined;
  let c: Cell | undefined;
  for (const k of keyCells) {
    if (e === undefined || c!.item !== k.item) {
      e = cells.get(k.item);
      if (!e) cells.set(k.item, (e = { list: [], prev: [], at: undefined }));
      c = undefined;
    }
    if (c === undefined || c.partner !== k.partner) {
      e.list.push((c = newCell(k.item, k.partner)));
      e.prev.push(0, 0);
    }
    if (k.part === 0) {
      const j = e.prev.length - 2;
      e.prev[j] = e.prev[j]! + k.keys;
      continue;
    }
    if (k.part === 1) c.tenDays[0] += k.keys;
    else if (k.part === 2) c.tenDays[1] += k.keys;
    else c.tenDays[2] += k.keys;
    c.accesses += k.keys;
    if (k.amount) c.sales[k.currency] = (c.sales[k.currency] ?? 0) + k.amount;
  }
  // Subscriptions are few: looked up by partner, through an index made for the items that have them.
  const cell = (item: string, partner: string): [Cell, number[], number] => {
    let e = cells.get(item);
    if (!e) cells.set(item, (e = { list: [], prev: [], at: undefined }));
    if (!e.at) e.at = new Map(e.list.map((x, i) => [x.partner, i]));
    let i = e.at.get(partner);
    if (i === undefined) {
      i = e.list.length;
      e.at.set(partner, i);
      e.list.push(newCell(item, partner));
      e.prev.push(0, 0);
    }
    return [e.list[i]!, e.prev, i];
  };
  const hasSubs = new Set<string>();
  for (const s of subCells) {
    const [c, prev, i] = cell(s.item, s.partner);
    prev[2 * i + 1] = prev[2 * i + 1]! + s.previousValid;
    hasSubs.add(s.item);
    c.registered += s.registered;
    c.monthToDate += s.monthToDate;
    c.continuing += s.continuing;
    if (s.amount) c.sales[s.currency] = (c.sales[s.currency] ?? 0) + s.amount;
  }
  // Every item of the catalog, and items no longer released that still have records.
  const infos: ItemInfo[] = [...catalog.values()];
  for (const id of cells.keys()) {
    if (!catalog.has(id)) infos.push({ id, title: id, supplier: '', category: '', chargeType: hasSubs.has(id) ? 'per_period' : 'per_access' });
  }
  const rows: ItemRow[] = infos.map((info) => {
    const perPeriod = info.chargeType === 'per_period';
    const total = emptyLine();
    const e = cells.get(info.id);
    const list: Cell[] = e?.list ?? [];
    let sorted = true;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      c.valid = perPeriod ? c.registered + c.continuing : c.accesses;
      c.previousValid = e!.prev[2 * i + (perPeriod ? 1 : 0)]!;
      c.growth = growthOf(c.valid, c.previousValid);
      addTo(total, c);
      if (i > 0 && list[i - 1]!.partner > c.partner) sorted = false;
    }
    if (!sorted) list.sort(byPartner);
    return { item: info.id, title: info.title, category: info.category, supplier: info.supplier, chargeType: info.chargeType, rank: 0, categoryRank: 0, partners: list, total: finish(total) };
  });
  const overall = ranks(rows, (r) => r.total.accesses);
  const byCategory = new Map<string, ItemRow[]>();
  for (const r of rows) {
    r.rank = overall.get(r)!;
    const list = byCategory.get(r.category);
    if (list) list.push(r);
    else byCategory.set(r.category, [r]);
  }
  const categorySizes: Record<string, number> = {};
  for (const [c, list] of byCategory) {
    categorySizes[c] = list.length;
    for (const [r, n] of ranks(list, (x) => x.total.accesses)) r.categoryRank = n;
  }
  const shown = (supplier === null ? rows : rows.filter((r) => r.supplier === supplier)).sort((a, b) => a.rank - b.rank || (a.item < b.item ? -1 : 1));
  const total = emptyLine();
  const partnerRows = new Map<string, PartnerRow>();
  for (const r of shown) {
    addTo(total, r.total);
    let pr: PartnerRow | undefined;
    for (const c of r.partners) {
      if (pr?.partner !== c.partner) {
        pr = partnerRows.get(c.partner);
        if (!pr) partnerRows.set(c.partner, (pr = { partner: c.partner, items: [], total: emptyLine() }));
      }
      pr.items.push(c);
      addTo(pr.total, c);
    }
  }
  const partners = [...partnerRows.values()].sort((a, b) => (a.partner < b.partner ? -1 : 1));
  for (const p of partners) finish(p.total);
  return {
    cycle: w.cycle,
    period: w.period,
    from: w.from.toISOString(),
    to: w.to.toISOString(),
    supplier,
    rankedItems: rows.length,
    categorySizes: supplier === null ? categorySizes : Object.fromEntries(Object.entries(categorySizes).filter(([c]) => shown.some((r) => r.category === c))),
    items: shown,
    partners,
    total: finish(total),
  };
}
