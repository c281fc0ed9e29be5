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
  partners: ({ partner: string } & Line)[];
  total: Line;
}

export interface PartnerRow {
  partner: string;
  items: ({ item: string; title: string; category: string } & Line)[];
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

interface Acc {
  a1: number;
  a2: number;
  a3: number;
  prevAccesses: number;
  registered: number;
  monthToDate: number;
  continuing: number;
  prevSubscriptions: number;
  sales: Record<string, number>;
}
const acc = (): Acc => ({ a1: 0, a2: 0, a3: 0, prevAccesses: 0, registered: 0, monthToDate: 0, continuing: 0, prevSubscriptions: 0, sales: {} });

export const growthOf = (valid: number, previousValid: number): number | null => (previousValid === 0 ? null : Math.round(((valid - previousValid) / previousValid) * 10000) / 100);

function lineOf(a: Acc, perPeriod: boolean): Line {
  const accesses = a.a1 + a.a2 + a.a3;
  const valid = perPeriod ? a.registered + a.continuing : accesses;
  const previousValid = perPeriod ? a.prevSubscriptions : a.prevAccesses;
  return {
    accesses,
    tenDays: [a.a1, a.a2, a.a3],
    registered: a.registered,
    monthToDate: a.monthToDate,
    continuing: a.continuing,
    valid,
    previousValid,
    growth: growthOf(valid, previousValid),
    sales: a.sales,
  };
}

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
 * the supplier's items.
 */
export function tabulate(w: CycleWindow, keyCells: readonly KeyCell[], subCells: readonly SubscriptionCell[], catalog: ReadonlyMap<string, ItemInfo>, supplier: string | null): Tabulated {
  const cells = new Map<string, Map<string, Acc>>();
  const cell = (item: string, partner: string): Acc => {
    let byPartner = cells.get(item);
    if (!byPartner) cells.set(item, (byPartner = new Map<string, Acc>()));
    let a = byPartner.get(partner);
    if (!a) byPartner.set(partner, (a = acc()));
    return a;
  };
  const hasSubs = new Set<string>();
  for (const k of keyCells) {
    const a = cell(k.item, k.partner);
    if (k.part === 0) {
      a.prevAccesses += k.keys;
      continue;
    }
    if (k.part === 1) a.a1 += k.keys;
    else if (k.part === 2) a.a2 += k.keys;
    else a.a3 += k.keys;
    if (k.amount) a.sales[k.currency] = (a.sales[k.currency] ?? 0) + k.amount;
  }
  for (const s of subCells) {
    const a = cell(s.item, s.partner);
    hasSubs.add(s.item);
    a.registered += s.registered;
    a.monthToDate += s.monthToDate;
    a.continuing += s.continuing;
    a.prevSubscriptions += s.previousValid;
    if (s.amount) a.sales[s.currency] = (a.sales[s.currency] ?? 0) + s.amount;
  }
  // Every item of the catalog, and items no longer released that still have records.
  const infos: ItemInfo[] = [...catalog.values()];
  for (const id of cells.keys()) {
    if (!catalog.has(id)) infos.push({ id, title: id, supplier: '', category: '', chargeType: hasSubs.has(id) ? 'per_period' : 'per_access' });
  }
  const rows: ItemRow[] = infos.map((info) => {
    const perPeriod = info.chargeType === 'per_period';
    const total = emptyLine();
    const partners: ItemRow['partners'] = [];
    const byPartner = cells.get(info.id);
    if (byPartner) {
      for (const [partner, a] of byPartner) {
        const l = lineOf(a, perPeriod);
        addTo(total, l);
        partners.push({ partner, ...l });
      }
      partners.sort((x, y) => (x.partner < y.partner ? -1 : x.partner > y.partner ? 1 : 0));
    }
    return { item: info.id, title: info.title, category: info.category, supplier: info.supplier, chargeType: info.chargeType, rank: 0, categoryRank: 0, partners, total: finish(total) };
  });
  const overall = ranks(rows, (r) => r.total.accesses);
  const byCategory = new Map<string, ItemRow[]>();
  for (const r of rows) {
    r.rank = overall.get(r)!;
    byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
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
    for (const p of r.partners) {
      let pr = partnerRows.get(p.partner);
      if (!pr) partnerRows.set(p.partner, (pr = { partner: p.partner, items: [], total: emptyLine() }));
      const { partner: _p, ...line } = p;
      pr.items.push({ item: r.item, title: r.title, category: r.category, ...line });
      addTo(pr.total, line);
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
