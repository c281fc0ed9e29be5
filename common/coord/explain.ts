import { formatMoney } from '../money.js';
import type { Amount, Plan, PlanLine } from './types.js';
import { formatAmount } from './units.js';

/**
 * "300 g flour -> 1 x 1 kg bag (700 g left over)": what is needed, in the
 * shopper's unit, as whole packs in the supplier's unit (claims 19-20, 35-36).
 */
export function formatPackAmount(need: Amount, component: string, line: Pick<PlanLine, 'packs' | 'packSize' | 'packLabel'>, leftover: Amount): string {
  const packs = `${line.packs} x ${formatAmount(line.packSize)} ${line.packLabel}`;
  const left = leftover.quantity > 0 ? ` (${formatAmount(leftover)} left over)` : '';
  return `${formatAmount(need)} ${component} -> ${packs}${left}`;
}

const PRIORITY_WORDS: Record<string, string> = {
  cheapest: 'cheapest total (goods and fees)',
  fewest_suppliers: 'fewest suppliers',
  fastest: 'fastest complete delivery',
  pickup_at_shop: 'pickup at the chosen shop',
  preferred_supplier: 'the preferred supplier',
};

/** The plan as sentences for the shopper: the priorities, each supplier and why, what the alternatives cost, what is uncovered. */
export function explainPlan(plan: Plan): string[] {
  const out: string[] = [];
  out.push(`Chosen by ${plan.priorities.order.map((k) => PRIORITY_WORDS[k] ?? k).join(', then ')}.`);
  for (const s of plan.suppliers) {
    const how =
      s.fulfilment.method === 'delivery'
        ? `delivery (${formatMoney(s.fee)}, ready in ${s.fulfilment.readyInMinutes} min)`
        : `pickup at ${s.fulfilment.shop.name} (ready in ${s.fulfilment.readyInMinutes} min)`;
    out.push(`${s.supplier.name}: ${formatMoney(s.total)} by ${how}. ${s.why}`);
    for (const l of s.lines) {
      const next = l.nextBest !== undefined ? ` (next best: ${l.nextBest.supplier.name}, ${formatMoney(l.nextBest.goods)})` : '';
      out.push(`  ${l.display} = ${formatMoney(l.amount)}${next}`);
    }
  }
  out.push(`Total ${formatMoney(plan.totals.total)} (goods ${formatMoney(plan.totals.goods)}, fees ${formatMoney(plan.totals.fees)}) from ${plan.totals.suppliers} supplier(s).`);
  for (const a of plan.alternatives) {
    const cost = a.total === null ? 'cannot cover the same' : `${formatMoney(a.total)} from ${a.suppliers} supplier(s)`;
    out.push(`Alternative, ${a.label}: ${cost}.`);
  }
  for (const u of plan.uncovered) out.push(`Not covered: ${formatAmount(u.missing)} ${u.component} (${u.reason}).`);
  for (const e of plan.excluded) out.push(`Left out: ${e.supplier}${e.offerId !== undefined ? ` offer ${e.offerId}` : ''} (${e.reason}).`);
  return out;
}
