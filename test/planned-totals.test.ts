import assert from 'node:assert/strict';
import { startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { appendUses, seedPlanned, type PlannedSeed } from './helpers/planned-totals.js';
import { UseTotalsStore } from '../main-site/planned/use-totals-store.js';

describe('planned use totals are counted incrementally from the signed log and equal a full recount', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let seed: PlannedSeed;
  let cursors: UseTotalsStore;
  const current = new Date().toISOString().slice(0, 7);
  const months = ['2026-09', '2026-10', current];
  let linesRead = 0;

  /** Every period's incremental totals equal a recount of the whole log, and so do the pages' use counts. */
  const assertEqualToRecount = () => {
    for (const period of [...months, '2025-01']) {
      const inc = net.main.planned.totals(period);
      const full = net.main.planned.recountTotals(period);
      assert.deepEqual(inc, full, `totals of ${period}`);
    }
    for (const page of seed.pages) assert.deepEqual(new Map([...net.main.planned.useCounts(page)].sort()), new Map([...net.main.planned.recountUseCounts(page)].sort()), `use counts of ${page}`);
  };

  before(async () => {
    net = await startSyncNetwork([]);
    seed = await seedPlanned(net.main, { pages: 2, contributors: 3, orders: 12, refundEvery: 5 });
    cursors = new UseTotalsStore(net.main.ctx.db);
    // Counts the log lines read, to show what each call reads.
    const store = net.main.ctx.logStore;
    const lines = store.lines.bind(store);
    store.lines = (from: number, to: number) => {
      const out = lines(from, to);
      linesRead += out.length;
      return out;
    };
  });
  after(async () => {
    await net?.close();
  });

  it('after every batch of new entries the incremental totals equal a full recount, in every period', () => {
    assertEqualToRecount();
    for (let round = 0; round < 4; round++) {
      appendUses(net.main, seed, 300, months);
      assertEqualToRecount();
    }
    // Not a vacuous comparison: sales, refunds, views and downloads were all counted, across months.
    const lines = months.flatMap((m) => net.main.planned.totals(m).lines);
    for (const f of ['sales', 'refunds', 'views', 'downloads'] as const)
      assert.ok(
        lines.some((l) => l[f] > 0),
        `some line counts ${f}`,
      );
    assert.ok(net.main.planned.totals('2026-09').lines.some((l) => l.role === 'contributor' && l.views > 0));
    assert.ok(
      net.main.planned.totals(current).lines.some((l) => l.role === 'planner' && l.amount > 0),
      'the planner lines carry the amounts sold',
    );
  });

  it('a call reads only the entries appended since the last one; the cursor rests on the checkpoint', () => {
    net.main.planned.totals(current);
    const before = net.main.ctx.log.size;
    assert.equal(cursors.cursor('main')?.nextIndex, before);
    appendUses(net.main, seed, 200, months);
    linesRead = 0;
    const t = net.main.planned.totals(current);
    assert.ok(t.checkpoint);
    assert.equal(cursors.cursor('main')?.nextIndex, t.checkpoint.size);
    assert.equal(linesRead, t.checkpoint.size - before, 'only the new entries were read');
    linesRead = 0;
    net.main.planned.totals('2026-09');
    assert.equal(linesRead, 0, 'nothing new: nothing read');
  });

  it('a log that is not the one counted (its root at the cursor differs) is counted again from its start, and still equals the recount', () => {
    const cur = cursors.cursor('main')!;
    cursors.apply('main', [], { nextIndex: cur.nextIndex, root: '00'.repeat(32) }, new Date().toISOString());
    linesRead = 0;
    const t = net.main.planned.totals('2026-10');
    assert.equal(linesRead, t.checkpoint!.size, 'the whole log was read again');
    assert.deepEqual(t, net.main.planned.recountTotals('2026-10'));
    assertEqualToRecount();
  });
});
