/**
 * npm run bench:coord
 *
 * Fan-out: the main site asks 20 supplier sites on loopback at once, each
 * answering after its own configured delay (the slowest 195 ms); the time from
 * asking to a complete quote, minus the slowest supplier's delay, is the
 * coordinator's overhead (target <= 100 ms). Baseline in the same run: asking
 * the slowest supplier alone, so the ratio shows what asking 19 more costs.
 *
 * Plan: z-coordplan's runPlanBench() (bench/coord-plan.ts), 30 components x 20
 * suppliers with pack sizes: plan_ms_p95 (target <= 200) and plan_vs_greedy (<= 1.0).
 */
import type { PlanRequest } from '../common/coord/index.js';
import { profile, startCoordNetwork } from '../test/helpers/coord.js';
import { fmt, report } from './lib/report.js';
import { runPlanBench } from './coord-plan.js';

const SUPPLIERS = 20;
const COMPONENTS = 30;
const ROUNDS = 15;
const delayOf = (i: number) => 100 + 5 * i;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function main(): Promise<void> {
  const names = Array.from({ length: COMPONENTS }, (_, i) => `component ${i + 1}`);
  const grocers: Record<string, ReturnType<typeof profile>> = {};
  for (let s = 0; s < SUPPLIERS; s++) {
    // Each supplier has about half the components, in its own pack sizes.
    const goods = names
      .map((n, i) => ({ n, i }))
      .filter(({ i }) => (i + s) % 2 === 0)
      .map(({ n, i }) => ({
        id: `p${i}`,
        product: `${n} by s${s}`,
        components: [n],
        packSize: { quantity: 250 * (1 + ((i + s) % 4)), unit: 'g' },
        packLabel: 'pack',
        price: 100 + ((i * 7 + s * 13) % 300),
        stock: 50,
      }));
    grocers[`s${String(s).padStart(2, '0')}`] = profile(`Supplier ${s}`, goods, { answerDelayMs: delayOf(s) });
  }
  const net = await startCoordNetwork({ grocers, main: { coordQuoteDeadlineMs: 2000 } });
  const request: PlanRequest = { currency: 'EUR', components: names.map((name, i) => ({ name, quantity: 100 + 37 * i, unit: 'g', optional: false, alternatives: [] })) };
  const slowest = delayOf(SUPPLIERS - 1);
  const slowestId = `s${String(SUPPLIERS - 1).padStart(2, '0')}`;
  try {
    await net.main.coord.quote(request); // warm connections and statements
    const fanout: number[] = [];
    const single: number[] = [];
    let incomplete = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      const round = await net.main.coord.quote(request);
      fanout.push(performance.now() - t - slowest);
      if (round.quotes.length !== SUPPLIERS) incomplete++;
      t = performance.now();
      await net.main.coord.quote(request, { only: [slowestId] });
      single.push(performance.now() - t - slowest);
    }
    // z-coordplan's bench (bench/coord-plan.ts): 30 components x 20 suppliers with pack sizes.
    const plan: Record<string, number> = { ...runPlanBench() };
    const fanMed = pct(fanout, 50);
    const fanP95 = pct(fanout, 95);
    const singleMed = pct(single, 50);
    const rows: [string, string][] = [
      ['suppliers asked at once', `${SUPPLIERS} (loopback sites, answer delays ${delayOf(0)}-${slowest} ms)`],
      ['components per request', String(COMPONENTS)],
      ['rounds', `${ROUNDS} (${incomplete} incomplete)`],
      ['fan-out overhead, median', `${fmt(fanMed, 1)} ms (target <= 100)`],
      ['fan-out overhead, p95', `${fmt(fanP95, 1)} ms`],
      ['baseline: slowest supplier alone, median', `${fmt(singleMed, 1)} ms`],
      ['fan-out / single overhead', fmt(fanMed / Math.max(singleMed, 0.1), 2)],
    ];
    if (plan.plan_ms_p95 !== undefined) rows.push(['plan p95 (30 x 20)', `${fmt(plan.plan_ms_p95, 1)} ms (target <= 200)`]);
    if (plan.plan_vs_greedy !== undefined) rows.push(['plan / greedy total', `${fmt(plan.plan_vs_greedy, 3)} (<= 1.0)`]);
    if (plan.mean_saving !== undefined) rows.push(['mean saving vs greedy', `${fmt(plan.mean_saving * 100, 1)} %`]);
    report('Coordination: supplier fan-out and plan', rows, {
      fanout_overhead_ms: Math.round(fanMed * 10) / 10,
      fanout_overhead_p95_ms: Math.round(fanP95 * 10) / 10,
      single_overhead_ms: Math.round(singleMed * 10) / 10,
      suppliers: SUPPLIERS,
      incomplete_rounds: incomplete,
      ...plan,
    });
  } finally {
    await net.close();
  }
}

await main();
