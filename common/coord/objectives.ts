import type { Prepared } from './prepare.js';
import type { Priorities, PriorityKind } from './types.js';

/**
 * The value of each priority for a given choice of packs and fulfilments, the
 * definition the integer program optimises (smaller is better for all of them):
 *
 *   cheapest            goods + fees of the suppliers used, in minor units
 *   fewest_suppliers    suppliers used
 *   fastest             the largest readyInMinutes among the suppliers used (0 when none)
 *   pickup_at_shop      minus the number of components covered at the chosen shop (shares: 0.5 = half of it)
 *   preferred_supplier  minus the number of components covered by the preferred supplier (shares)
 *
 * A supplier counts as used when a fulfilment is chosen for it, even if no
 * pack is bought there (the planner never does that when it costs anything).
 */
export function evaluate(p: Prepared, packs: number[], fulfilment: number[], priorities: Priorities, kind: PriorityKind): number {
  switch (kind) {
    case 'cheapest': {
      let sum = 0;
      p.offers.forEach((o, i) => (sum += o.price * (packs[i] ?? 0)));
      p.suppliers.forEach((s, si) => {
        const f = s.options[fulfilment[si] ?? -1];
        if (f !== undefined) sum += f.fee.amount;
      });
      return sum;
    }
    case 'fewest_suppliers':
      return fulfilment.filter((f) => f >= 0).length;
    case 'fastest': {
      let t = 0;
      p.suppliers.forEach((s, si) => {
        const f = s.options[fulfilment[si] ?? -1];
        if (f !== undefined) t = Math.max(t, f.readyInMinutes);
      });
      return t;
    }
    case 'pickup_at_shop':
    case 'preferred_supplier': {
      const counts = (si: number): boolean => {
        const s = p.suppliers[si];
        if (s === undefined) return false;
        if (kind === 'preferred_supplier') return s.quote.supplier.id === priorities.preferredSupplier && (fulfilment[si] ?? -1) >= 0;
        const f = s.options[fulfilment[si] ?? -1];
        return s.quote.supplier.id === priorities.pickupShop?.supplier && f?.method === 'pickup' && f.shop.id === priorities.pickupShop.shop;
      };
      const got = p.components.map(() => 0);
      p.offers.forEach((o, i) => {
        if (counts(o.supplier)) got[o.comp] = (got[o.comp] ?? 0) + o.size * (packs[i] ?? 0);
      });
      let sum = 0;
      p.components.forEach((c, ci) => {
        if (c.target > 0) sum += Math.min(1, (got[ci] ?? 0) / c.target);
      });
      return -sum;
    }
  }
}
