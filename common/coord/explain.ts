import { formatMoney } from '../money.js';
import type { Amount, Plan, PlanLine } from './types.js';
import { formatMinutes } from '../web/format.js';
import { formatAmount, isCountWord } from './units.js';

/**
 * "300 g flour -> 1 x 1 kg bag (700 g left over)": what is needed, in the
 * shopper's unit, as whole packs in the supplier's unit (claims 19-20, 35-36).
 */
export function formatPackAmount(need: Amount, component: string, line: Pick<PlanLine, 'packs' | 'packSize' | 'packLabel'>, leftover: Amount): string {
  const packs = `${line.packs} x ${formatPack(line.packSize, line.packLabel)}`;
  const left = leftover.quantity > 0 ? ` (${formatAmount(leftover)} left over)` : '';
  return `${formatAmount(need)} ${component} -> ${packs}${left}`;
}

/**
 * One pack in the supplier's words: "1 kg bag", "1 dozen box"; a pack of a
 * plain count is "box of 6" (or just "kit" for one), never "6 each box".
 */
export function formatPack(size: Amount, label: string): string {
  if (!isCountWord(size.unit)) return `${formatAmount(size)} ${label}`;
  const n = formatAmount(size);
  // The supplier's own label may say the count already ("box of 6").
  return size.quantity === 1 || new RegExp(`\\b${n.replace('.', '\\.')}\\b`).test(label) ? label : `${label} of ${n}`;
}

/** Each priority as a shopper reads it. */
export const PRIORITY_WORDS: Record<string, string> = {
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
        ? `delivery (${formatMoney(s.fee)}, ready in ${formatMinutes(s.fulfilment.readyInMinutes)})`
        : `pickup at ${s.fulfilment.shop.name} (ready in ${formatMinutes(s.fulfilment.readyInMinutes)})`;
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
  for (const e of plan.excluded) out.push(`Left out: ${e.name ?? e.supplier}${e.product !== undefined ? `'s ${e.product}` : ''} (${e.reason}).`);
  return out;
}
