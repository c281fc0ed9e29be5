import { formatMoney } from '../money.js';
import { formatPackAmount, PRIORITY_WORDS } from './explain.js';
import { evaluate } from './objectives.js';
import { COVER_SLACK, prepare, type Prepared } from './prepare.js';
import { bestMix, objectiveOrder, solvePrepared } from './solve.js';
import type { Plan, PlanAlternative, PlanLine, PlanRequest, Priorities, SupplierPlan, SupplierQuote, Uncovered } from './types.js';
import { tidy } from './units.js';
import { componentKey } from './components.js';

export interface PlanOptions {
  /** The instant quotes are judged against (expired quotes are left out). Default: now. */
  now?: Date;
  /** Price the alternatives for the explanation (one extra solve per supplier used, and one for "cheapest total"). Default true. */
  alternatives?: boolean;
}

/**
 * The optimal purchase plan for the picked components over whole packs, by the
 * shopper's priorities (lexicographic, cheapest last). See docs/coordination-plan.md.
 */
export function planPurchase(request: PlanRequest, quotes: SupplierQuote[], priorities: Priorities, options: PlanOptions = {}): Plan {
  const now = options.now ?? new Date();
  const p = prepare(request, quotes, priorities, now);
  const plan = buildPlan(p, priorities);
  if (options.alternatives !== false) addAlternatives(plan, p, quotes, priorities, now);
  return plan;
}

function money(amount: number, currency: string): { amount: number; currency: string } {
  return { amount, currency };
}

/** The plan for prepared quotes; `detail` adds each line's next-best supplier (not needed for an alternative's total). */
function buildPlan(p: Prepared, priorities: Priorities, detail = true): Plan {
  const currency = p.request.currency;
  const solved = solvePrepared(p, priorities);
  const packs = solved?.packs ?? p.offers.map(() => 0);
  // A supplier with a fulfilment chosen but nothing bought is not part of the plan (it costs nothing only when its fee is 0).
  const bought = p.suppliers.map((_, si) => p.offers.some((o, oi) => o.supplier === si && (packs[oi] ?? 0) > 0));
  const fulfilment = (solved?.fulfilment ?? p.suppliers.map(() => -1)).map((f, si) => (bought[si] === true ? f : -1));

  const remaining = p.components.map((c) => c.need);
  const suppliers: SupplierPlan[] = [];
  p.suppliers.forEach((s, si) => {
    const f = s.options[fulfilment[si] ?? -1];
    if (f === undefined) return;
    const lines: PlanLine[] = [];
    p.offers.forEach((o, oi) => {
      const n = packs[oi] ?? 0;
      if (o.supplier !== si || n === 0) return;
      const pc = p.components[o.comp];
      if (pc === undefined) return;
      const unit = pc.component.unit;
      const holds = o.size * n;
      const covers = Math.min(remaining[o.comp] ?? 0, holds);
      remaining[o.comp] = (remaining[o.comp] ?? 0) - covers;
      const leftover = tidy(Math.max(0, holds - covers));
      const line: PlanLine = {
        component: pc.component.name,
        offerId: o.offer.id,
        product: o.offer.product,
        ...(o.offer.alternative !== undefined ? { alternative: o.offer.alternative } : {}),
        packs: n,
        packSize: o.offer.packSize,
        packLabel: o.offer.packLabel,
        pricePerPack: o.offer.pricePerPack,
        amount: money(o.price * n, currency),
        supplied: { quantity: tidy(o.offer.packSize.quantity * n), unit: o.offer.packSize.unit },
        covers: { quantity: tidy(covers), unit },
        leftover: { quantity: leftover < pc.need * 1e-9 ? 0 : leftover, unit },
        display: '',
      };
      line.display = formatPackAmount(line.covers, pc.component.name, line, line.leftover);
      lines.push(line);
    });
    const goods = lines.reduce((sum, l) => sum + l.amount.amount, 0);
    suppliers.push({
      supplier: s.quote.supplier,
      quoteId: s.quote.quoteId,
      fulfilment: f,
      payments: s.quote.payments,
      lines,
      goods: money(goods, currency),
      fee: f.fee,
      total: money(goods + f.fee.amount, currency),
      why: '',
    });
  });

  const uncovered: Uncovered[] = [];
  p.components.forEach((c, ci) => {
    const left = remaining[ci] ?? 0;
    if (left <= c.need * COVER_SLACK * 10) return;
    const usable = p.offers.some((o) => o.comp === ci);
    const by = p.offeredBy[ci] ?? [];
    const missing = { quantity: tidy(left), unit: c.component.unit };
    if (usable) {
      const short = c.target < c.need;
      uncovered.push({ component: c.component.name, missing, why: short ? 'short' : 'not_bought', reason: short ? 'not enough in stock at all suppliers together' : 'not bought' });
    } else if (by.length === 0) {
      uncovered.push({ component: c.component.name, missing, why: 'not_offered', reason: 'no supplier offers it' });
    } else {
      // Offered, but by none in a way the plan can use: say by whom and what stood in the way.
      const specific = p.excluded.filter((e) => by.includes(e.supplier) && e.component !== undefined && componentKey(e.component) === c.key);
      // A supplier left out as a whole (expired quote, payment, hand-over) says so, unless its offer of this component says more.
      const whole = p.excluded.filter((e) => by.includes(e.supplier) && e.offerId === undefined && !specific.some((x) => x.supplier === e.supplier));
      const reasons = [...specific, ...whole].map((e) => `${e.name ?? e.supplier}: ${e.reason}`);
      const none = by.filter((id) => !p.excluded.some((e) => e.supplier === id && (e.component === undefined || componentKey(e.component) === c.key)));
      for (const id of none) reasons.push(`${p.suppliers.find((s) => s.quote.supplier.id === id)?.quote.supplier.name ?? id}: none in stock`);
      uncovered.push({ component: c.component.name, missing, why: 'not_usable', reason: `offered, but not usable (${[...new Set(reasons)].join('; ')})` });
    }
  });

  const plan: Plan = {
    currency,
    priorities,
    suppliers,
    totals: totalsOf(suppliers, currency),
    uncovered,
    alternatives: [],
    excluded: p.excluded,
    objectives: objectiveOrder(priorities).map((kind) => ({ kind, value: evaluate(p, packs, fulfilment, priorities, kind) })),
    optimal: solved?.optimal ?? true,
  };
  for (const s of plan.suppliers) {
    if (!detail) continue;
    s.why = whyFirst(s, p);
    for (const l of s.lines) {
      const next = nextBest(p, l.component, s.supplier.id);
      if (next !== undefined) l.nextBest = next;
    }
  }
  return plan;
}

/** What a plan's parts add up to: goods, hand-over fees, the total, how many suppliers, and when the last part is ready. */
export function totalsOf(suppliers: readonly SupplierPlan[], currency: string): Plan['totals'] {
  const goods = suppliers.reduce((sum, s) => sum + s.goods.amount, 0);
  const fees = suppliers.reduce((sum, s) => sum + s.fee.amount, 0);
  return {
    goods: money(goods, currency),
    fees: money(fees, currency),
    total: money(goods + fees, currency),
    suppliers: suppliers.length,
    readyInMinutes: suppliers.length === 0 ? null : Math.max(...suppliers.map((s) => s.fulfilment.readyInMinutes)),
  };
}

/**
 * The plan with the shopper's hand-over chosen per supplier (a part's
 * fulfilment, fee and total replaced), totals added up again: what an order
 * of it charges, line for line.
 */
export function withParts(plan: Plan, parts: readonly SupplierPlan[]): Plan {
  return { ...plan, suppliers: [...parts], totals: totalsOf(parts, plan.currency) };
}

/** The cheapest whole-pack cover of a component's whole target at any other single supplier (goods only). */
function nextBest(p: Prepared, component: string, except: string): PlanLine['nextBest'] {
  const ci = p.components.findIndex((c) => c.component.name === component);
  const c = p.components[ci];
  if (c === undefined || c.target <= 0) return undefined;
  let best: PlanLine['nextBest'];
  p.suppliers.forEach((s, si) => {
    if (s.quote.supplier.id === except) return;
    const mix = bestMix(
      p.offers.filter((o) => o.comp === ci && o.supplier === si),
      c.target,
    );
    if (mix !== null && (best === undefined || mix.cost < best.goods.amount)) best = { supplier: s.quote.supplier, goods: money(mix.cost, p.request.currency) };
  });
  return best;
}

/** The first half of a supplier's "why": what it supplies and whether anyone else offers it. */
function whyFirst(s: SupplierPlan, p: Prepared): string {
  const names = [...new Set(s.lines.map((l) => l.component))];
  const only = names.filter((n) => {
    const ci = p.components.findIndex((c) => c.component.name === n);
    return !p.offers.some((o) => o.comp === ci && p.suppliers[o.supplier]?.quote.supplier.id !== s.supplier.id);
  });
  const sole = only.length > 0 ? ` It is the only supplier offering ${only.join(', ')}.` : '';
  return `Supplies ${names.join(', ')}.${sole}`;
}

function coversSame(a: Prepared, b: Prepared): boolean {
  return a.components.every((c, i) => (b.components[i]?.target ?? 0) >= c.target * (1 - COVER_SLACK));
}

/**
 * What the alternatives cost (issue 17, item 4): the plan without each of its
 * suppliers (the price of dropping it, and so why it is there), and the
 * cheapest plan when cheapest is not the first priority.
 */
function addAlternatives(plan: Plan, p: Prepared, quotes: SupplierQuote[], priorities: Priorities, now: Date): void {
  const alts: PlanAlternative[] = [];
  const describe = (label: string, q: Prepared, pr: Priorities): PlanAlternative => {
    if (!coversSame(p, q)) return { label, total: null, suppliers: 0, readyInMinutes: null };
    const alt = buildPlan(q, pr, false);
    return { label, total: alt.totals.total, suppliers: alt.totals.suppliers, readyInMinutes: alt.totals.readyInMinutes };
  };
  if (priorities.order[0] !== 'cheapest') {
    const pr: Priorities = { ...priorities, order: ['cheapest'] };
    alts.push(describe('cheapest total', prepare(p.request, quotes, pr, now), pr));
  }
  for (const s of plan.suppliers) {
    const without = quotes.filter((q) => q.supplier.id !== s.supplier.id);
    const a = describe(`without ${s.supplier.name}`, prepare(p.request, without, priorities, now), priorities);
    alts.push(a);
    if (a.total === null) s.why += ' Without it, the plan could not cover as much.';
    else {
      const d = a.total.amount - plan.totals.total.amount;
      if (d > 0) s.why += ` Without it the plan costs ${formatMoney(money(d, plan.currency))} more.`;
      else if (d < 0) s.why += ` Without it the plan would cost ${formatMoney(money(-d, plan.currency))} less, but do worse on ${PRIORITY_WORDS[priorities.order[0] ?? ''] ?? 'the priorities'}.`;
      else s.why += ' Without it the plan costs the same.';
    }
  }
  plan.alternatives = alts;
}
