import assert from 'node:assert/strict';
import { greedyTotal, planPurchase, planRequest, priorities, supplierQuote, type Priorities, type PriorityKind, type SupplierQuote } from '../common/coord/index.js';
import { evaluate } from '../common/coord/objectives.js';
import { COVER_SLACK, prepare, type Prepared } from '../common/coord/prepare.js';
import { objectiveOrder } from '../common/coord/solve.js';
import { instance } from '../bench/coord-plan.js';
import { rng } from './helpers/rng.js';

/**
 * The plan against brute force: every choice of fulfilment per supplier (or
 * none), and for each component every whole-pack vector the model allows
 * (one supplier's packs when some supplier alone has the stock, any split
 * otherwise), compared lexicographically by the priorities. The planner must
 * reach the same objective values.
 */
function bruteForce(p: Prepared, pr: Priorities): number[] {
  const order = objectiveOrder(pr);
  const S = p.suppliers.length;
  let best: number[] | null = null;
  const lexLess = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < a.length; i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (Math.abs(d) > 1e-7) return d < 0;
    }
    return false;
  };
  const aloneCan = p.components.map((c, ci) =>
    p.suppliers.some((_, si) => p.offers.reduce((sum, o) => sum + (o.comp === ci && o.supplier === si ? o.size * o.offer.stockPacks : 0), 0) >= c.target * (1 - COVER_SLACK)),
  );
  const fulfilment = new Array<number>(S).fill(-1);
  const walkSuppliers = (si: number): void => {
    if (si === S) {
      // Per component independently: the lexicographically best pack vector among the open suppliers.
      const packs = p.offers.map(() => 0);
      for (let ci = 0; ci < p.components.length; ci++) {
        const c = p.components[ci];
        if (c === undefined || c.target <= 0) continue;
        const mine = p.offers.map((o, oi) => ({ o, oi })).filter(({ o }) => o.comp === ci && (fulfilment[o.supplier] ?? -1) >= 0);
        const found: { best: { v: number[]; packs: number[] } | null } = { best: null };
        const n = mine.map(() => 0);
        const walk = (k: number): void => {
          if (k === mine.length) {
            const held = mine.reduce((s, m, j) => s + m.o.size * (n[j] ?? 0), 0);
            if (held < c.target * (1 - COVER_SLACK)) return;
            const from = new Set(mine.filter((_, j) => (n[j] ?? 0) > 0).map((m) => m.o.supplier));
            if (aloneCan[ci] === true && from.size > 1) return;
            const trial = p.offers.map(() => 0);
            mine.forEach((m, j) => (trial[m.oi] = n[j] ?? 0));
            // Only this component's part of the component-level objectives (fees are the same for every choice here).
            const only = { ...p, components: p.components.map((x, i) => (i === ci ? x : { ...x, target: 0 })) };
            const v = order
              .filter((k2) => k2 === 'cheapest' || k2 === 'preferred_supplier' || k2 === 'pickup_at_shop')
              .map((k2) =>
                evaluate(
                  only,
                  trial,
                  fulfilment.map(() => -1).map((_, s) => (k2 === 'cheapest' ? -1 : (fulfilment[s] ?? -1))),
                  pr,
                  k2,
                ),
              );
            if (found.best === null || lexLess(v, found.best.v)) found.best = { v, packs: [...n] };
            return;
          }
          const m = mine[k];
          if (m === undefined) return;
          for (let x = 0; x <= m.o.upper; x++) {
            n[k] = x;
            walk(k + 1);
          }
          n[k] = 0;
        };
        walk(0);
        const chosen = found.best;
        if (chosen === null) return; // these suppliers cannot cover this component: not a plan
        mine.forEach((m, j) => (packs[m.oi] = chosen.packs[j] ?? 0));
      }
      const v = order.map((k) => evaluate(p, packs, fulfilment, pr, k));
      if (best === null || lexLess(v, best)) best = v;
      return;
    }
    const s = p.suppliers[si];
    for (let f = -1; f < (s?.options.length ?? 0); f++) {
      fulfilment[si] = f;
      walkSuppliers(si + 1);
    }
    fulfilment[si] = -1;
  };
  walkSuppliers(0);
  if (best === null) throw new Error('brute force found no plan');
  return best;
}

function randomCase(seed: number): { quotes: SupplierQuote[]; request: ReturnType<typeof planRequest.parse>; pr: Priorities } {
  const r = rng(seed);
  const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1));
  const names = ['flour', 'sugar', 'butter'].slice(0, int(2, 3));
  const request = planRequest.parse({ currency: 'EUR', components: names.map((name) => ({ name, quantity: int(2, 12) * 100, unit: 'g' })) });
  const quotes = ['north', 'south', 'grocer'].map((id) => {
    const offers = names.flatMap((n) =>
      r() < 0.75
        ? Array.from({ length: int(1, 2) }, (_, j) => ({
            id: `${n}-${j}`,
            component: n,
            product: `${id} ${n} ${j}`,
            packSize: r() < 0.5 ? { quantity: int(1, 5) * 100, unit: 'g' } : { quantity: int(1, 2) * 0.5, unit: 'kg' },
            pricePerPack: { amount: int(20, 200), currency: 'EUR' },
            stockPacks: int(0, 4),
          }))
        : [],
    );
    const fulfilment: unknown[] = [{ id: 'delivery', method: 'delivery', fee: { amount: int(0, 4) * 100, currency: 'EUR' }, readyInMinutes: int(1, 6) * 60 }];
    if (r() < 0.5) fulfilment.push({ id: 'pickup', method: 'pickup', fee: { amount: 0, currency: 'EUR' }, shop: { id: `${id}-shop`, name: `${id} shop` }, readyInMinutes: int(1, 6) * 30 });
    return supplierQuote.parse({ supplier: { id, name: id }, quoteId: `q-${id}`, offers, fulfilment, payments: ['electronic'], expiresAt: '2099-01-01T00:00:00.000Z' });
  });
  const kinds: PriorityKind[] = ['cheapest', 'fewest_suppliers', 'fastest', 'pickup_at_shop', 'preferred_supplier'];
  const order = kinds.filter(() => r() < 0.5).sort(() => r() - 0.5);
  if (order.length === 0) order.push('cheapest');
  const withShop = quotes.find((q) => q.fulfilment.some((f) => f.method === 'pickup'));
  const shopOpt = withShop?.fulfilment.find((f) => f.method === 'pickup');
  const pickupShop = withShop && shopOpt?.method === 'pickup' ? { supplier: withShop.supplier.id, shop: shopOpt.shop.id } : undefined;
  const usable = order.filter((k) => k !== 'pickup_at_shop' || pickupShop !== undefined);
  const pr = priorities.parse({ order: usable.length > 0 ? usable : ['cheapest'], preferredSupplier: quotes[int(0, 2)]?.supplier.id, ...(pickupShop ? { pickupShop } : {}) });
  return { quotes, request, pr };
}

describe('coord plan: the same optimum as brute force on small random cases', () => {
  it('200 cases of 2-3 components x 3 suppliers, random pack sizes, stock, fees, shops and priority orders', () => {
    const now = new Date('2026-12-01T08:00:00Z');
    let compared = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const { quotes, request, pr } = randomCase(seed);
      const p = prepare(request, quotes, pr, now);
      if (!p.components.some((c) => c.target > 0)) continue;
      const expected = bruteForce(p, pr);
      const plan = planPurchase(request, quotes, pr, { now, alternatives: false });
      const got = plan.objectives.map((o) => o.value);
      assert.equal(got.length, expected.length);
      got.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] ?? Number.NaN)) < 1e-6, `seed ${seed}, ${pr.order.join('>')}: plan ${JSON.stringify(got)} vs brute force ${JSON.stringify(expected)}`));
      // Whatever the priorities, the plan covers what can be covered.
      p.components.forEach((c) => {
        const covered = plan.suppliers
          .flatMap((s) => s.lines)
          .filter((l) => l.component === c.component.name)
          .reduce((sum, l) => sum + l.covers.quantity, 0);
        assert.ok(covered >= c.target * (1 - 1e-6), `seed ${seed}: ${c.component.name} covered ${covered} of ${c.target}`);
      });
      compared++;
    }
    assert.ok(compared >= 150, `only ${compared} cases had anything to buy`);
  });
});

describe('coord plan: properties on bench-sized cases (30 components x 20 suppliers)', () => {
  it('never costs more than greedy, covers every target, respects stock, one fulfilment per supplier, totals add up', () => {
    const cheapest = priorities.parse({ order: ['cheapest'] });
    for (let seed = 500; seed < 512; seed++) {
      const { request, quotes } = instance(seed);
      const plan = planPurchase(request, quotes, cheapest, { alternatives: false });
      assert.equal(plan.optimal, true, `seed ${seed}`);
      assert.ok(plan.totals.total.amount <= greedyTotal(request, quotes, cheapest).total, `seed ${seed}: plan dearer than greedy`);
      const p = prepare(request, quotes, cheapest, new Date());
      for (const c of p.components) {
        const covered = plan.suppliers
          .flatMap((s) => s.lines)
          .filter((l) => l.component === c.component.name)
          .reduce((sum, l) => sum + l.covers.quantity, 0);
        assert.ok(covered >= c.target * (1 - 1e-6), `seed ${seed}: ${c.component.name}`);
      }
      let goods = 0;
      for (const s of plan.suppliers) {
        const q = quotes.find((x) => x.supplier.id === s.supplier.id);
        assert.ok(q?.fulfilment.some((f) => f.id === s.fulfilment.id));
        for (const l of s.lines) {
          const o = q?.offers.find((x) => x.id === l.offerId);
          assert.ok(o !== undefined && l.packs >= 1 && l.packs <= o.stockPacks, `seed ${seed}: ${l.offerId} ${l.packs} packs`);
          assert.equal(l.amount.amount, l.packs * o.pricePerPack.amount);
        }
        assert.equal(
          s.goods.amount,
          s.lines.reduce((sum, l) => sum + l.amount.amount, 0),
        );
        assert.equal(s.total.amount, s.goods.amount + s.fee.amount);
        goods += s.goods.amount;
      }
      assert.equal(new Set(plan.suppliers.map((s) => s.supplier.id)).size, plan.suppliers.length);
      assert.equal(plan.totals.goods.amount, goods);
      assert.equal(plan.totals.total.amount, plan.totals.goods.amount + plan.totals.fees.amount);
      assert.equal(plan.objectives.at(-1)?.value, plan.totals.total.amount);
    }
  });
});
