import assert from 'node:assert/strict';
import { explainPlan, formatAmount, formatPack, greedyTotal, planPurchase, planRequest, priorities, supplierQuote, type Plan, type PriorityKind, type SupplierQuote } from '../common/coord/index.js';
import { formatMinutes } from '../common/web/format.js';

// Small builders: a quote is [component, pack quantity, pack unit, price in cents, stock, label?] per offer.
const LATER = '2099-01-01T00:00:00.000Z';
type OfferRow = [string, number, string, number, number, string?];
interface QuoteOpts {
  fee?: number;
  ready?: number;
  pickup?: { shop: string; ready: number; fee?: number };
  delivery?: boolean;
  payments?: ('cash_on_delivery' | 'electronic')[];
  expiresAt?: string;
  currency?: string;
}
function quote(id: string, rows: OfferRow[], o: QuoteOpts = {}): SupplierQuote {
  const cur = o.currency ?? 'EUR';
  const fulfilment: unknown[] = [];
  if (o.delivery !== false) fulfilment.push({ id: 'delivery', method: 'delivery', fee: { amount: o.fee ?? 0, currency: 'EUR' }, readyInMinutes: o.ready ?? 120 });
  if (o.pickup)
    fulfilment.push({
      id: `pickup-${o.pickup.shop}`,
      method: 'pickup',
      fee: { amount: o.pickup.fee ?? 0, currency: 'EUR' },
      shop: { id: o.pickup.shop, name: `Shop ${o.pickup.shop}` },
      readyInMinutes: o.pickup.ready,
    });
  return supplierQuote.parse({
    supplier: { id, name: id[0]?.toUpperCase() + id.slice(1) },
    quoteId: `q-${id}`,
    offers: rows.map(([component, q, unit, price, stock, label], i) => ({
      id: `${id}-${i}`,
      component,
      product: `${id} ${component}`,
      packSize: { quantity: q, unit },
      packLabel: label ?? 'pack',
      pricePerPack: { amount: price, currency: cur },
      stockPacks: stock,
    })),
    fulfilment,
    payments: o.payments ?? ['electronic', 'cash_on_delivery'],
    expiresAt: o.expiresAt ?? LATER,
  });
}
const request = (rows: [string, number, string, string?][]) =>
  planRequest.parse({ currency: 'EUR', components: rows.map(([name, quantity, unit, density]) => ({ name, quantity, unit, ...(density ? { density } : {}) })) });
const P = (order: PriorityKind[], extra: Record<string, unknown> = {}) => priorities.parse({ order, ...extra });
const used = (plan: Plan) => plan.suppliers.map((s) => s.supplier.id).sort();
const displays = (plan: Plan) => plan.suppliers.flatMap((s) => s.lines.map((l) => l.display));

describe('coord plan: optimal where the per-item greedy choice is not', () => {
  it('pack sizes: mixes a supplier`s 1 kg and 250 g bags (greedy takes one pack size per item)', () => {
    const req = request([['flour', 1200, 'g']]);
    const quotes = [
      quote('mill', [
        ['flour', 1, 'kg', 100, 9, 'bag'],
        ['flour', 250, 'g', 40, 9, 'bag'],
      ]),
    ];
    const plan = planPurchase(req, quotes, P(['cheapest']));
    assert.equal(plan.totals.total.amount, 140);
    assert.equal(greedyTotal(req, quotes, P(['cheapest'])).total, 200);
    assert.deepEqual(displays(plan), ['1000 g flour -> 1 x 1 kg bag', '200 g flour -> 1 x 250 g bag (50 g left over)']);
    assert.equal(plan.optimal, true);
  });

  it('delivery fees: one supplier for both items beats the cheapest item at each of two', () => {
    const req = request([
      ['flour', 1000, 'g'],
      ['sugar', 1000, 'g'],
    ]);
    const quotes = [
      quote(
        'all',
        [
          ['flour', 1, 'kg', 100, 5],
          ['sugar', 1, 'kg', 100, 5],
        ],
        { fee: 300 },
      ),
      quote('floury', [['flour', 1, 'kg', 90, 5]], { fee: 300 }),
      quote('sweet', [['sugar', 1, 'kg', 90, 5]], { fee: 300 }),
    ];
    const plan = planPurchase(req, quotes, P(['cheapest']));
    assert.deepEqual(used(plan), ['all']);
    assert.deepEqual([plan.totals.goods.amount, plan.totals.fees.amount, plan.totals.total.amount], [200, 300, 500]);
    assert.equal(greedyTotal(req, quotes, P(['cheapest'])).total, 780);
    // What the alternative costs, per line: the cheaper flour and sugar elsewhere, which their fees outweigh.
    assert.deepEqual(
      plan.suppliers[0]?.lines.map((l) => [l.component, l.nextBest?.supplier.id, l.nextBest?.goods.amount]),
      [
        ['flour', 'floury', 90],
        ['sugar', 'sweet', 90],
      ],
    );
    assert.ok(explainPlan(plan).includes('  1000 g flour -> 1 x 1 kg pack = 1.00 EUR (next best: Floury, 0.90 EUR)'));
  });

  it('fewest suppliers: two suppliers where the largest-first greedy cover needs three', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const req = request(items.map((n) => [n, 1, 'each']));
    const row = (n: string): OfferRow => [n, 1, 'each', 100, 5];
    const quotes = [quote('big', ['a', 'b', 'd', 'e'].map(row)), quote('left', ['a', 'b', 'c'].map(row)), quote('right', ['d', 'e', 'f'].map(row))];
    // Greedy set cover: take the supplier covering most of what is missing, repeat.
    const missing = new Set(items);
    let greedyCount = 0;
    while (missing.size > 0) {
      const best = [...quotes].sort((x, y) => y.offers.filter((o) => missing.has(o.component)).length - x.offers.filter((o) => missing.has(o.component)).length)[0];
      best?.offers.forEach((o) => missing.delete(o.component));
      greedyCount++;
    }
    assert.equal(greedyCount, 3);
    const plan = planPurchase(req, quotes, P(['fewest_suppliers']));
    assert.deepEqual(used(plan), ['left', 'right']);
    assert.equal(plan.uncovered.length, 0);
  });

  it('a single-supplier preference pays more for one order; cheapest alone splits', () => {
    const req = request([
      ['flour', 1000, 'g'],
      ['sugar', 1000, 'g'],
    ]);
    const quotes = [
      quote(
        'all',
        [
          ['flour', 1, 'kg', 200, 5],
          ['sugar', 1, 'kg', 200, 5],
        ],
        { fee: 100 },
      ),
      quote('floury', [['flour', 1, 'kg', 90, 5]], { fee: 100 }),
      quote('sweet', [['sugar', 1, 'kg', 90, 5]], { fee: 100 }),
    ];
    const cheapest = planPurchase(req, quotes, P(['cheapest']));
    assert.deepEqual(used(cheapest), ['floury', 'sweet']);
    assert.equal(cheapest.totals.total.amount, 380);
    const one = planPurchase(req, quotes, P(['fewest_suppliers', 'cheapest']));
    assert.deepEqual(used(one), ['all']);
    assert.equal(one.totals.total.amount, 500);
    assert.deepEqual(
      one.objectives.map((o) => [o.kind, o.value]),
      [
        ['fewest_suppliers', 1],
        ['cheapest', 500],
      ],
    );
    assert.ok(
      one.alternatives.some((a) => a.label === 'cheapest total' && a.total?.amount === 380),
      'the explanation prices the cheapest alternative',
    );
  });

  it('fastest complete delivery: the two quick suppliers, not the slow one that has everything', () => {
    const req = request([
      ['flour', 1000, 'g'],
      ['sugar', 1000, 'g'],
    ]);
    const quotes = [
      quote(
        'slow',
        [
          ['flour', 1, 'kg', 50, 5],
          ['sugar', 1, 'kg', 50, 5],
        ],
        { ready: 2880 },
      ),
      quote('quick', [['flour', 1, 'kg', 150, 5]], { ready: 60, fee: 200 }),
      quote('quicker', [['sugar', 1, 'kg', 150, 5]], { ready: 30, fee: 200 }),
      quote('medium', [['sugar', 1, 'kg', 120, 5]], { ready: 90, fee: 200 }),
    ];
    const plan = planPurchase(req, quotes, P(['fastest']));
    assert.deepEqual(used(plan), ['quick', 'quicker'], 'medium is cheaper for sugar but would make the whole delivery later');
    assert.equal(plan.totals.readyInMinutes, 60);
    assert.deepEqual(used(planPurchase(req, quotes, P(['cheapest']))), ['slow']);
  });

  it('pickup at a chosen shop: what that shop has is picked up there, the rest from the cheapest', () => {
    const req = request([
      ['flour', 1000, 'g'],
      ['sugar', 1000, 'g'],
    ]);
    const quotes = [
      quote('north', [['flour', 1, 'kg', 150, 5]], { fee: 300, pickup: { shop: 'north-high-street', ready: 60 } }),
      quote(
        'grocer',
        [
          ['flour', 1, 'kg', 100, 5],
          ['sugar', 1, 'kg', 100, 5],
        ],
        { fee: 200 },
      ),
    ];
    const plan = planPurchase(req, quotes, P(['pickup_at_shop', 'cheapest'], { pickupShop: { supplier: 'north', shop: 'north-high-street' } }));
    const north = plan.suppliers.find((s) => s.supplier.id === 'north');
    assert.equal(north?.fulfilment.method, 'pickup');
    assert.equal(north?.fulfilment.method === 'pickup' ? north.fulfilment.shop.id : '', 'north-high-street');
    assert.deepEqual(
      north?.lines.map((l) => l.component),
      ['flour'],
    );
    assert.deepEqual(
      plan.suppliers.find((s) => s.supplier.id === 'grocer')?.lines.map((l) => l.component),
      ['sugar'],
    );
    assert.deepEqual(used(planPurchase(req, quotes, P(['cheapest']))), ['grocer']);
  });

  it('a preferred supplier gets everything it offers, even when dearer', () => {
    const req = request([
      ['flour', 1000, 'g'],
      ['sugar', 1000, 'g'],
    ]);
    const quotes = [
      quote('south', [['flour', 1, 'kg', 180, 5]]),
      quote('grocer', [
        ['flour', 1, 'kg', 100, 5],
        ['sugar', 1, 'kg', 100, 5],
      ]),
    ];
    const plan = planPurchase(req, quotes, P(['preferred_supplier'], { preferredSupplier: 'south' }));
    assert.deepEqual(
      plan.suppliers.find((s) => s.supplier.id === 'south')?.lines.map((l) => l.component),
      ['flour'],
    );
    assert.equal(plan.totals.total.amount, 280);
  });

  it('refuses priorities that name a shop or supplier without saying which, or repeat themselves', () => {
    assert.throws(() => P(['pickup_at_shop']), /pickupShop/);
    assert.throws(() => P(['preferred_supplier']), /preferredSupplier/);
    assert.throws(() => P(['cheapest', 'cheapest']), /at most once/);
    assert.throws(() => P([]));
    assert.throws(() => P(['cheapest'], { colour: 'red' }));
  });
});

describe('coord plan: amounts in the supplier`s unit and packs', () => {
  it('"300 g flour -> 1 x 1 kg bag (700 g left over)"', () => {
    const plan = planPurchase(request([['flour', 300, 'g']]), [quote('mill', [['flour', 1, 'kg', 120, 3, 'bag']])], P(['cheapest']));
    const line = plan.suppliers[0]?.lines[0];
    assert.equal(line?.display, '300 g flour -> 1 x 1 kg bag (700 g left over)');
    assert.deepEqual([line?.packs, line?.supplied, line?.covers, line?.leftover], [1, { quantity: 1, unit: 'kg' }, { quantity: 300, unit: 'g' }, { quantity: 700, unit: 'g' }]);
  });

  it('counts by the dozen, litres for millilitres, pounds for grams', () => {
    const plan = planPurchase(
      request([
        ['eggs', 8, 'each'],
        ['milk', 1500, 'ml'],
        ['butter', 500, 'g'],
      ]),
      [
        quote('farm', [
          ['eggs', 1, 'dozen', 300, 4, 'box'],
          ['milk', 1, 'l', 110, 4, 'bottle'],
          ['butter', 1, 'lb', 250, 4, 'block'],
        ]),
      ],
      P(['cheapest']),
    );
    assert.deepEqual(displays(plan), ['8 eggs -> 1 x 1 dozen box (4 left over)', '1500 ml milk -> 2 x 1 l bottle (500 ml left over)', '500 g butter -> 2 x 1 lb block (407.185 g left over)']);
    assert.equal(plan.totals.total.amount, 300 + 220 + 500);
  });

  it('plain counts read as counts: "2 eggs -> 1 x box of 6 (4 left over)", "1 x kit", never "each"', () => {
    const plan = planPurchase(
      request([
        ['eggs', 2, 'each'],
        ['patch kit', 1, 'pcs'],
      ]),
      [
        quote('farm', [
          ['eggs', 6, 'each', 300, 4, 'box'],
          ['patch kit', 1, 'each', 800, 4, 'kit'],
        ]),
      ],
      P(['cheapest']),
    );
    assert.deepEqual(displays(plan), ['2 eggs -> 1 x box of 6 (4 left over)', '1 patch kit -> 1 x kit']);
    assert.equal(formatPack({ quantity: 6, unit: 'each' }, 'box of 6'), 'box of 6', "the supplier's label says the count already");
    assert.equal(formatPack({ quantity: 1, unit: 'kg' }, 'bag'), '1 kg bag');
    assert.equal(formatAmount({ quantity: 3, unit: 'each' }), '3');
    assert.equal(formatAmount({ quantity: 1, unit: 'dozen' }), '1 dozen');
  });

  it('lead times read as durations: 1 day, 2 h 30 min, 45 min', () => {
    assert.deepEqual([1440, 150, 45, 0, 60, 2 * 1440 + 180, 1470].map(formatMinutes), ['1 day', '2 h 30 min', '45 min', '0 min', '1 h', '2 days 3 h', '1 day 30 min']);
    const plan = planPurchase(request([['flour', 1, 'kg']]), [quote('mill', [['flour', 1, 'kg', 100, 5]], { ready: 1440 })], P(['cheapest']));
    const text = explainPlan(plan).join('\n');
    assert.match(text, /ready in 1 day\)/);
    assert.doesNotMatch(text, /1440 min/);
  });

  it('density rule: a volume pack covers a mass only when the component states its density', () => {
    const offers = [quote('mill', [['flour', 1, 'l', 100, 5, 'tub']])];
    const without = planPurchase(request([['flour', 500, 'g']]), offers, P(['cheapest']));
    assert.equal(without.suppliers.length, 0);
    assert.deepEqual(
      without.uncovered.map((u) => [u.component, u.missing.quantity, u.reason]),
      [['flour', 500, 'offered, but not usable (Mill: l does not convert to g (no density stated))']],
    );
    assert.equal(without.uncovered[0]?.why, 'not_usable', 'offered in a unit that does not convert is not "no supplier offers it"');
    assert.match(without.excluded[0]?.reason ?? '', /l does not convert to g \(no density stated\)/);
    const withDensity = planPurchase(request([['flour', 500, 'g', '0.59 g/ml']]), offers, P(['cheapest']));
    assert.equal(withDensity.suppliers[0]?.lines[0]?.display, '500 g flour -> 1 x 1 l tub (90 g left over)');
  });

  it('uncovered: what nobody offers, and what all stock together cannot fill (all of it is bought)', () => {
    const plan = planPurchase(
      request([
        ['flour', 1000, 'g'],
        ['saffron', 1, 'g'],
        ['sugar', 2000, 'g'],
      ]),
      [
        quote('a', [
          ['flour', 1, 'kg', 100, 5],
          ['sugar', 500, 'g', 60, 1],
        ]),
        quote('b', [['sugar', 500, 'g', 70, 2]]),
      ],
      P(['cheapest']),
    );
    assert.deepEqual(
      plan.uncovered.map((u) => [u.component, u.missing.quantity, u.reason]),
      [
        ['saffron', 1, 'no supplier offers it'],
        ['sugar', 500, 'not enough in stock at all suppliers together'],
      ],
    );
    assert.deepEqual(used(plan), ['a', 'b']);
    assert.ok(explainPlan(plan).some((s) => s.startsWith('Not covered: 500 g sugar')));
  });

  it('splits a component across suppliers only when no single one has the stock', () => {
    const req = request([['flour', 1000, 'g']]);
    const split = planPurchase(req, [quote('a', [['flour', 250, 'g', 30, 2]]), quote('b', [['flour', 250, 'g', 40, 3]])], P(['cheapest']));
    assert.deepEqual(
      split.suppliers.map((s) => [s.supplier.id, s.lines[0]?.packs]),
      [
        ['a', 2],
        ['b', 2],
      ],
    );
    const whole = planPurchase(req, [quote('a', [['flour', 250, 'g', 30, 2]]), quote('b', [['flour', 250, 'g', 40, 4]])], P(['cheapest']));
    assert.deepEqual(used(whole), ['b'], 'b alone has the stock: the flour comes from one shop');
  });
});

describe('coord plan: what the planner leaves out', () => {
  it('an expired quote, another currency, a payment method the shopper excludes', () => {
    const req = request([['flour', 1000, 'g']]);
    const now = new Date('2026-12-01T08:00:00Z');
    const quotes = [
      quote('stale', [['flour', 1, 'kg', 10, 5]], { expiresAt: '2026-12-01T07:59:59.000Z' }),
      quote('abroad', [['flour', 1, 'kg', 20, 5]], { currency: 'GBP' }),
      quote('cashonly', [['flour', 1, 'kg', 30, 5]], { payments: ['cash_on_delivery'] }),
      quote('fresh', [['flour', 1, 'kg', 100, 5]]),
    ];
    const plan = planPurchase(req, quotes, P(['cheapest'], { payment: 'electronic' }), { now });
    assert.deepEqual(used(plan), ['fresh']);
    assert.deepEqual(
      plan.excluded.map((e) => [e.supplier, e.reason]),
      [
        ['stale', 'quote expired at 2026-12-01T07:59:59.000Z'],
        ['abroad', 'priced in GBP, not EUR'],
        ['abroad', 'nothing usable in stock'],
        ['cashonly', 'does not take electronic'],
      ],
    );
    const later = planPurchase(req, quotes, P(['cheapest']), { now: new Date('2026-12-01T07:00:00Z') });
    assert.deepEqual(used(later), ['stale'], 'before its expiry the same quote is used');
  });

  it('explains each supplier: what it supplies and what the plan costs without it', () => {
    const req = request([
      ['flour', 1000, 'g'],
      ['sugar', 1000, 'g'],
    ]);
    const plan = planPurchase(
      req,
      [
        quote(
          'all',
          [
            ['flour', 1, 'kg', 100, 5],
            ['sugar', 1, 'kg', 100, 5],
          ],
          { fee: 300 },
        ),
        quote('floury', [['flour', 1, 'kg', 90, 5]], { fee: 300 }),
      ],
      P(['cheapest']),
    );
    assert.equal(plan.suppliers[0]?.why, 'Supplies flour, sugar. It is the only supplier offering sugar. Without it, the plan could not cover as much.');
    const text = explainPlan(plan).join('\n');
    assert.match(text, /Chosen by cheapest total/);
    assert.match(text, /All: 5\.00 EUR by delivery/);
    assert.match(text, /Total 5\.00 EUR \(goods 2\.00 EUR, fees 3\.00 EUR\) from 1 supplier/);
  });
});
