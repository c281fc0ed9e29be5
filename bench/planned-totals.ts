// npm run bench:planned-totals — use totals of planned pages (issue 16, item 5)
// counted incrementally from the signed log (only the entries appended since
// the last call) against a full recount of the whole log, on a real main site
// whose log holds BENCH_PLANNED_TOTALS_ENTRIES entries (default 200,000:
// accesses to bought content over three months, between page views). Each
// round appends BENCH_PLANNED_TOTALS_BATCH new entries (default 1,000), then
// times the incremental call and the recount of the same period, alternating
// which goes first. Also the cold start: the first incremental call, which
// counts the whole log once. The two answers are compared every round.
import assert from 'node:assert/strict';
import { appendUses, seedPlanned } from '../test/helpers/planned-totals.js';
import { rng } from '../test/helpers/rng.js';
import { startSyncNetwork } from '../test/helpers/sync-network.js';
import { fmt, report } from './lib/report.js';

const ENTRIES = Number(process.env.BENCH_PLANNED_TOTALS_ENTRIES ?? 200_000);
const BATCH = Number(process.env.BENCH_PLANNED_TOTALS_BATCH ?? 1_000);
const ROUNDS = Number(process.env.BENCH_PLANNED_TOTALS_ROUNDS ?? 8);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const out = f();
  return [out, performance.now() - t];
};

async function main(): Promise<void> {
  const net = await startSyncNetwork([]);
  try {
    const { planned } = net.main;
    const seed = await seedPlanned(net.main, { pages: 4, contributors: 8, orders: 300, refundEvery: 10 });
    const current = new Date().toISOString().slice(0, 7);
    const months = ['2026-09', '2026-10', current];
    const random = rng(23);
    const t0 = performance.now();
    let accesses = 0;
    while (net.main.ctx.log.size + net.main.ctx.log.pendingCount < ENTRIES)
      accesses += appendUses(net.main, seed, Math.min(10_000, ENTRIES - net.main.ctx.log.size - net.main.ctx.log.pendingCount), months, random);
    net.main.ctx.log.flush();
    const genMs = performance.now() - t0;

    // Cold: nothing counted yet, so the first call counts the whole log (and writes the running totals).
    const [coldTotals, coldMs] = timed(() => planned.totals(current));
    const [coldFull, coldFullMs] = timed(() => planned.recountTotals(current));
    assert.deepEqual(coldTotals, coldFull, 'the first incremental count equals the recount');

    const inc: number[] = [];
    const full: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      accesses += appendUses(net.main, seed, BATCH, months, random);
      // Committing the new entries is the log's work, not the count's (not measured).
      net.main.ctx.log.flush();
      const period = months[round % months.length]!;
      let a: ReturnType<typeof planned.totals>;
      let b: ReturnType<typeof planned.totals>;
      // Both sign a checkpoint first (the first call of a round signs it); alternate the order so neither always pays for it.
      if (round % 2 === 0) {
        let ms: number;
        [a, ms] = timed(() => planned.totals(period));
        inc.push(ms);
        [b, ms] = timed(() => planned.recountTotals(period));
        full.push(ms);
      } else {
        let ms: number;
        [b, ms] = timed(() => planned.recountTotals(period));
        full.push(ms);
        [a, ms] = timed(() => planned.totals(period));
        inc.push(ms);
      }
      assert.deepEqual(a, b, `round ${round}: incremental totals equal the recount`);
    }
    const incMs = median(inc);
    const fullMs = median(full);
    const size = net.main.ctx.log.size;
    report(
      'Planned use totals: incremental (new entries only) vs full recount of the signed log',
      [
        ['log entries', fmt(size)],
        ['planned accesses among them', fmt(accesses)],
        ['orders (sales, refunds every 10th)', fmt(seed.orders.length)],
        ['new entries per round', fmt(BATCH)],
        ['rounds', fmt(ROUNDS)],
        ['generation (not measured)', `${fmt(genMs)} ms`],
        ['cold: first incremental call (whole log)', `${fmt(coldMs, 1)} ms`],
        ['cold: full recount', `${fmt(coldFullMs, 1)} ms`],
        ['incremental call, median', `${fmt(incMs, 2)} ms`],
        ['full recount, median', `${fmt(fullMs, 2)} ms`],
        ['incremental / full (lower is better)', fmt(incMs / fullMs, 4)],
        ['speed-up', `${fmt(fullMs / incMs, 1)}x`],
      ],
      {
        bench: 'planned-totals',
        log_entries: size,
        batch: BATCH,
        rounds: ROUNDS,
        incremental_ms: Number(incMs.toFixed(3)),
        full_recount_ms: Number(fullMs.toFixed(3)),
        cold_incremental_ms: Number(coldMs.toFixed(1)),
        cold_full_ms: Number(coldFullMs.toFixed(1)),
        ratio: Number((incMs / fullMs).toFixed(5)),
        speedup: Number((fullMs / incMs).toFixed(1)),
      },
    );
  } finally {
    await net.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
