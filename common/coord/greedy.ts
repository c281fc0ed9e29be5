import { COVER_SLACK, prepare } from './prepare.js';
import type { PlanRequest, Priorities, SupplierQuote } from './types.js';

/**
 * The baseline a plan is measured against: the usual per-item choice. Each
 * component alone goes to the offer that covers it most cheaply in whole packs
 * (or, when no one offer has the stock, to the cheapest per unit until it is
 * covered), and each supplier so used adds its cheapest fulfilment fee. It
 * covers exactly what the plan covers, so the two totals compare.
 */
export function greedyTotal(request: PlanRequest, quotes: SupplierQuote[], priorities: Priorities, now: Date = new Date()): { total: number; suppliers: number } {
  const p = prepare(request, quotes, priorities, now);
  const used = new Set<number>();
  let goods = 0;
  p.components.forEach((c, ci) => {
    if (c.target <= 0) return;
    const mine = p.offers.filter((o) => o.comp === ci);
    const whole = mine
      .map((o) => ({ o, n: Math.ceil(c.target / o.size - COVER_SLACK) }))
      .filter(({ o, n }) => n <= o.offer.stockPacks)
      .sort((a, b) => a.n * a.o.price - b.n * b.o.price)[0];
    if (whole !== undefined) {
      goods += whole.n * whole.o.price;
      used.add(whole.o.supplier);
      return;
    }
    let left = c.target;
    for (const o of [...mine].sort((a, b) => a.price / a.size - b.price / b.size)) {
      if (left <= c.target * COVER_SLACK) break;
      const n = Math.min(o.upper, Math.ceil(left / o.size - COVER_SLACK));
      goods += n * o.price;
      left -= n * o.size;
      used.add(o.supplier);
    }
  });
  let fees = 0;
  for (const si of used) fees += Math.min(...(p.suppliers[si]?.options.map((f) => f.fee.amount) ?? [0]));
  return { total: goods + fees, suppliers: used.size };
}
