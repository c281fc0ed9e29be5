// npm run bench:coord-plan — plan time for 30 components x 20 suppliers with pack sizes, and the plan's total
// against the usual per-item greedy choice on the same quotes. bench/coord.ts (the network side) imports
// runPlanBench and reports its figures with the fan-out's.
import { pathToFileURL } from 'node:url';
import { greedyTotal, planPurchase, type PlanRequest, type Priorities, type SupplierQuote } from '../common/coord/index.js';
import { fmt, report } from './lib/report.js';
import { rng } from '../test/helpers/rng.js';

interface Kind {
  unit: string;
  need: readonly [number, number];
  packs: readonly { q: number; u: string }[];
  perBase: number;
}

/** Components in the shopper's unit, and the pack sizes suppliers sell them in (often another unit). */
const KINDS: readonly Kind[] = [
  {
    unit: 'g',
    need: [150, 1200],
    packs: [
      { q: 250, u: 'g' },
      { q: 500, u: 'g' },
      { q: 1, u: 'kg' },
      { q: 1, u: 'lb' },
    ],
    perBase: 0.4,
  },
  {
    unit: 'ml',
    need: [100, 1500],
    packs: [
      { q: 250, u: 'ml' },
      { q: 500, u: 'ml' },
      { q: 1, u: 'l' },
      { q: 1, u: 'cup' },
    ],
    perBase: 0.3,
  },
  {
    unit: 'each',
    need: [1, 14],
    packs: [
      { q: 1, u: 'each' },
      { q: 6, u: 'each' },
      { q: 1, u: 'dozen' },
    ],
    perBase: 40,
  },
];

const BASE: Record<string, number> = { g: 1, kg: 1000, lb: 453.59237, ml: 1, l: 1000, cup: 236.588, each: 1, dozen: 12 };

export interface Instance {
  request: PlanRequest;
  quotes: SupplierQuote[];
}

/** One planning problem: `components` components, `suppliers` suppliers each carrying about 60% of them in 1-2 pack sizes. */
export function instance(seed: number, components = 30, suppliers = 20): Instance {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const comps = Array.from({ length: components }, (_, i) => {
    const k = pick(KINDS);
    const need = Math.round(k.need[0] + r() * (k.need[1] - k.need[0]));
    return { kind: k, c: { name: `component ${i}`, quantity: need, unit: k.unit, optional: false, alternatives: [] as string[] } };
  });
  const expiresAt = new Date(Date.now() + 3600_000).toISOString();
  const quotes: SupplierQuote[] = Array.from({ length: suppliers }, (_, s) => {
    const offers: SupplierQuote['offers'] = [];
    const dear = 0.8 + r() * 0.5;
    comps.forEach(({ kind, c }, ci) => {
      if (r() > 0.6) return;
      const sizes = r() < 0.4 ? 2 : 1;
      for (let j = 0; j < sizes; j++) {
        const pk = pick(kind.packs);
        const base = pk.q * (BASE[pk.u] ?? 1);
        // Bigger packs are cheaper per unit, as in shops.
        const perUnit = kind.perBase * dear * (0.8 + r() * 0.4) * (base > 500 ? 0.85 : 1);
        offers.push({
          id: `o${ci}-${j}`,
          component: c.name,
          product: `${c.name} (${s}/${j})`,
          packSize: { quantity: pk.q, unit: pk.u },
          packLabel: 'pack',
          pricePerPack: { amount: Math.max(1, Math.round(perUnit * base)), currency: 'EUR' },
          stockPacks: r() < 0.1 ? 1 : 5 + Math.floor(r() * 20),
        });
      }
    });
    const fulfilment: SupplierQuote['fulfilment'] = [
      { id: 'delivery', method: 'delivery', fee: { amount: 150 + Math.floor(r() * 450), currency: 'EUR' }, readyInMinutes: 60 * (1 + Math.floor(r() * 48)) },
    ];
    if (r() < 0.5) fulfilment.push({ id: 'pickup', method: 'pickup', fee: { amount: 0, currency: 'EUR' }, shop: { id: `shop-${s}`, name: `Shop ${s}` }, readyInMinutes: 30 + Math.floor(r() * 240) });
    return {
      supplier: { id: `s${s}`, name: `Supplier ${s}` },
      quoteId: `q${s}`,
      offers,
      fulfilment,
      payments: ['electronic', 'cash_on_delivery'],
      expiresAt,
    };
  });
  return { request: { currency: 'EUR', components: comps.map((x) => x.c) }, quotes };
}

export interface PlanBenchFigures {
  plan_ms_p95: number;
  plan_ms_median: number;
  plan_explained_ms_p95: number;
  plan_vs_greedy: number;
  mean_saving: number;
  instances: number;
  optimal: number;
  [k: string]: number;
}

const CHEAPEST: Priorities = { order: ['cheapest'] };

/**
 * Plans `runs` instances of 30 x 20 with "cheapest total" and the explanation's
 * alternatives switched off (the network side prices those after showing the
 * plan), timing each; greedy on the same quotes is the baseline. plan_vs_greedy
 * is the WORST ratio over the runs (<= 1.0 means the plan never lost to greedy),
 * mean_saving the mean of (greedy - plan) / greedy.
 */
export function runPlanBench(runs = Number(process.env.BENCH_PLAN_RUNS ?? 40)): PlanBenchFigures {
  const times: number[] = [];
  const explained: number[] = [];
  let worst = 0;
  let saving = 0;
  let optimal = 0;
  planPurchase(instance(1).request, instance(1).quotes, CHEAPEST, { alternatives: false }); // warm-up (JIT)
  for (let i = 0; i < runs; i++) {
    const { request, quotes } = instance(1000 + i);
    const t = performance.now();
    const plan = planPurchase(request, quotes, CHEAPEST, { alternatives: false });
    times.push(performance.now() - t);
    if (plan.optimal) optimal++;
    // The same plan with its explanation priced (one more solve per supplier used): what the shopper's page waits for.
    const t2 = performance.now();
    const full = planPurchase(request, quotes, CHEAPEST);
    explained.push(performance.now() - t2);
    if (full.totals.total.amount !== plan.totals.total.amount) throw new Error('the explained plan differs from the plan');
    const greedy = greedyTotal(request, quotes, CHEAPEST);
    const ratio = plan.totals.total.amount / greedy.total;
    worst = Math.max(worst, ratio);
    saving += (greedy.total - plan.totals.total.amount) / greedy.total;
  }
  const q = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(f * xs.length) - 1)] ?? 0;
  return {
    plan_ms_p95: Number(q(times, 0.95).toFixed(1)),
    plan_ms_median: Number(q(times, 0.5).toFixed(1)),
    plan_explained_ms_p95: Number(q(explained, 0.95).toFixed(1)),
    plan_vs_greedy: Number(worst.toFixed(4)),
    mean_saving: Number((saving / runs).toFixed(4)),
    instances: runs,
    optimal,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const f = runPlanBench();
  report(
    'Coordination: the optimal plan (30 components x 20 suppliers, whole packs) against greedy per-item choice',
    [
      ['instances', fmt(f.instances)],
      ['plan time median / p95 (target p95 <= 200 ms)', `${fmt(f.plan_ms_median, 1)} / ${fmt(f.plan_ms_p95, 1)} ms`],
      ['with the explanation priced (alternatives), p95', `${fmt(f.plan_explained_ms_p95, 1)} ms`],
      ['plan total / greedy total, worst (target <= 1.0)', fmt(f.plan_vs_greedy, 4)],
      ['mean saving against greedy', `${fmt(f.mean_saving * 100, 1)} %`],
      ['proven optimal', `${f.optimal} of ${f.instances}`],
    ],
    f,
  );
}
