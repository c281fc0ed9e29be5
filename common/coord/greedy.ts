import { COVER_SLACK, prepare, type PreparedOffer } from './prepare.js';
import type { PlanRequest, Priorities, SupplierQuote } from './types.js';

/**
 * The baseline a plan is measured against: the usual per-item choice. Each
 * component alone goes to the offer that covers it most cheaply in whole packs
 * (or, when no one offer has the stock, to the cheapest per unit until it is
 * covered, from one supplier when one has the stock), and each supplier so
 * used adds its cheapest fulfilment fee. It covers exactly what the plan
 * covers and is itself a plan of the planner's model (one supplier per
 * component unless none has the stock), so the optimum can never cost more.
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
    // No one offer has the stock: the cheapest supplier whose packs together cover it (cheapest per unit first),
    // or, when no supplier alone can, every offer cheapest per unit first.
    const bySupplier = [...new Set(mine.map((o) => o.supplier))].map((s) =>
      spill(
        mine.filter((o) => o.supplier === s),
        c.target,
      ),
    );
    const alone = bySupplier.filter((x) => x.held >= c.target * (1 - COVER_SLACK)).sort((a, b) => a.cost - b.cost)[0];
    const chosen = alone ?? spill(mine, c.target);
    goods += chosen.cost;
    for (const s of chosen.suppliers) used.add(s);
  });
  let fees = 0;
  for (const si of used) fees += Math.min(...(p.suppliers[si]?.options.map((f) => f.fee.amount) ?? [0]));
  return { total: goods + fees, suppliers: used.size };
}

function spill(offers: PreparedOffer[], target: number): { cost: number; held: number; suppliers: Set<number> } {
  let held = 0;
  let cost = 0;
  const suppliers = new Set<number>();
  for (const o of [...offers].sort((a, b) => a.price / a.size - b.price / b.size)) {
    if (held >= target * (1 - COVER_SLACK)) break;
    const n = Math.min(o.upper, Math.ceil((target - held) / o.size - COVER_SLACK));
    if (n <= 0) continue;
    cost += n * o.price;
    held += n * o.size;
    suppliers.add(o.supplier);
  }
  return { cost, held, suppliers };
}
