import { componentKey } from './components.js';
import type { Component, Excluded, FulfilmentOption, Offer, PlanRequest, Priorities, SupplierQuote } from './types.js';
import { convertQuantity } from './units.js';

/**
 * The planning problem in numbers: every offer the planner may use, with its
 * pack converted into the requested unit, and everything it may not, with the
 * reason. Shared by the integer program, the greedy baseline and the brute
 * force in the tests, so all three solve exactly the same problem.
 */

export interface PreparedComponent {
  component: Component;
  key: string;
  /** The requested quantity, in the component's unit. */
  need: number;
  /** What the plan must cover: the need, or all there is when the suppliers together have less. */
  target: number;
}

export interface PreparedSupplier {
  quote: SupplierQuote;
  /** The fulfilment options the shopper's filters allow, in quote order. */
  options: FulfilmentOption[];
}

export interface PreparedOffer {
  comp: number;
  supplier: number;
  offer: Offer;
  /** One pack, in the requested component's unit. */
  size: number;
  price: number;
  /** Packs worth buying at most: the stock, and never more than one offer alone needs (more can only cost more). */
  upper: number;
}

export interface Prepared {
  request: PlanRequest;
  components: PreparedComponent[];
  suppliers: PreparedSupplier[];
  offers: PreparedOffer[];
  excluded: Excluded[];
  /** Per requested component (by index), the suppliers whose quote offers it at all, usable or not (for saying why it is uncovered). */
  offeredBy: string[][];
}

/** Amounts within this relative distance of the need count as covering it (conversions are floating point). */
export const COVER_SLACK = 1e-9;

export function prepare(request: PlanRequest, quotes: SupplierQuote[], priorities: Priorities, now: Date): Prepared {
  const excluded: Excluded[] = [];
  const components: PreparedComponent[] = request.components.map((c) => ({ component: c, key: componentKey(c.name), need: c.quantity, target: 0 }));
  const byKey = new Map(components.map((c, i) => [c.key, i]));
  if (byKey.size !== components.length) throw new RangeError('the request names a component twice; merge it first');
  const suppliers: PreparedSupplier[] = [];
  const offers: PreparedOffer[] = [];
  const seen = new Set<string>();
  const offeredBy: string[][] = components.map(() => []);
  for (const quote of quotes)
    for (const offer of quote.offers) {
      const at = byKey.get(componentKey(offer.component));
      if (at !== undefined && !offeredBy[at]!.includes(quote.supplier.id)) offeredBy[at]!.push(quote.supplier.id);
    }
  for (const quote of quotes) {
    const sid = quote.supplier.id;
    const name = quote.supplier.name;
    if (seen.has(sid)) {
      excluded.push({ supplier: sid, name, reason: 'a second quote from the same supplier' });
      continue;
    }
    seen.add(sid);
    if (Date.parse(quote.expiresAt) <= now.getTime()) {
      excluded.push({ supplier: sid, name, reason: `quote expired at ${quote.expiresAt}` });
      continue;
    }
    if (priorities.payment !== undefined && !quote.payments.includes(priorities.payment)) {
      excluded.push({ supplier: sid, name, reason: `does not take ${priorities.payment.replace(/_/g, ' ')}` });
      continue;
    }
    const options = quote.fulfilment.filter((f) => f.fee.currency === request.currency && (priorities.methods === undefined || priorities.methods.includes(f.method)));
    if (options.length === 0) {
      excluded.push({ supplier: sid, name, reason: 'no fulfilment option the shopper allows' });
      continue;
    }
    const s = suppliers.length;
    let usable = 0;
    for (const offer of quote.offers) {
      const comp = byKey.get(componentKey(offer.component));
      const pc = comp === undefined ? undefined : components[comp];
      if (comp === undefined || pc === undefined) {
        excluded.push({ supplier: sid, name, offerId: offer.id, product: offer.product, reason: `"${offer.component}" was not asked for` });
        continue;
      }
      const c = pc.component;
      if (offer.alternative !== undefined && componentKey(offer.alternative) !== pc.key && !c.alternatives.some((a) => componentKey(a) === componentKey(offer.alternative ?? ''))) {
        excluded.push({ supplier: sid, name, offerId: offer.id, product: offer.product, component: c.name, reason: `"${offer.alternative}" is not an alternative for ${c.name}` });
        continue;
      }
      if (offer.pricePerPack.currency !== request.currency) {
        excluded.push({ supplier: sid, name, offerId: offer.id, product: offer.product, component: c.name, reason: `priced in ${offer.pricePerPack.currency}, not ${request.currency}` });
        continue;
      }
      const size = convertQuantity(offer.packSize.quantity, offer.packSize.unit, c.unit, c.density);
      if (size === null || !(size > 0)) {
        const why = c.density === undefined ? ' (no density stated)' : '';
        excluded.push({ supplier: sid, name, offerId: offer.id, product: offer.product, component: c.name, reason: `${offer.packSize.unit} does not convert to ${c.unit}${why}` });
        continue;
      }
      if (offer.stockPacks === 0) continue;
      const upper = Math.min(offer.stockPacks, Math.ceil(pc.need / size - COVER_SLACK));
      offers.push({ comp, supplier: s, offer, size, price: offer.pricePerPack.amount, upper: Math.max(1, upper) });
      usable++;
    }
    if (usable === 0 && quote.offers.length > 0) excluded.push({ supplier: sid, name, reason: 'nothing usable in stock' });
    suppliers.push({ quote, options });
  }
  for (const o of offers) {
    const pc = components[o.comp];
    if (pc !== undefined) pc.target += o.size * o.upper;
  }
  for (const pc of components) pc.target = Math.min(pc.need, pc.target);
  return { request, components, suppliers, offers, excluded, offeredBy };
}
