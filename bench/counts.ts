// npm run bench:counts — counting throughput: BENCH_COUNT_ENTRIES (default 10 million) page deliveries
// of 1,000 items on three sites, counted by two main sites in the same run: one with no rule (the bare
// count: decide each entry's item, add to its counters, advance the cursor) and one with 1,000 rules
// (Fig. 4-like: status reports every 100 and every 1,000, revenue-share statements every 1,000,
// new-content requests only at 5,000), whose every firing is recorded in the same transaction as the
// count; the firings' notices go into the outbox afterwards (dispatch), timed and shown on their own. Both get the same batches (5,000 entries, as a shipment), alternately, so drift
// on a shared machine falls on both. JSON count_ratio = ruled time / bare time (target <= 1.3).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNetworkConfig } from '../cli/network-config.js';
import { generateSiteKeys } from '../common/keys/keystore.js';
import type { EntryFields } from '../common/logchain/entry.js';
import { countsModule, type CountService } from '../main-site/counts/index.js';
import { startMainSite, type RunningMain } from '../main-site/server.js';
import { fmt, report } from './lib/report.js';

const ENTRIES = Number(process.env.BENCH_COUNT_ENTRIES ?? 10_000_000);
const ITEMS = 1000;
const BATCH = 5000;
const SITES = ['north', 'south', 'east'];

async function site(name: string): Promise<{ main: RunningMain; counts: CountService; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `tieup-bench-counts-${name}-`));
  await generateSiteKeys(join(dir, 'keys'), 'main');
  const main = await startMainSite(
    loadNetworkConfig(
      'main',
      {},
      { siteId: 'main', port: 0, dataDir: dir, keysDir: join(dir, 'keys'), logLevel: 'warn', contentDir: join(dir, 'c'), templatesDir: join(dir, 't'), countsPollMs: 600_000 },
    ),
    { defaultMetrics: false, watchContent: false },
  );
  const counts = main.use(countsModule);
  const { party } = main.portal.invite({ email: `${name}@bench.test`, kind: 'supplier', displayName: `Bench ${name}` }, 'bench');
  counts.setAgreement(party.id, { version: 1, rateBps: 5000, pointValue: 1, currency: 'JPY' }, 'bench');
  for (let i = 0; i < ITEMS; i++) counts.putItem({ key: `page:/items/${i}`, title: `Item ${i}`, supplier: party.id, pricePoints: 100 }, 'bench');
  return { main, counts, dir };
}

const bare = await site('bare');
const ruled = await site('ruled');
const shapes: [string, number][] = [
  ['every', 100],
  ['every', 1000],
  ['only', 5000],
  ['every', 1000],
];
const actions = ['status_report', 'revenue_statement', 'new_content', 'status_report'];
for (let i = 0; i < ITEMS; i++) {
  const [mode, n] = shapes[i % 4]!;
  ruled.counts.addRule({ item: `page:/items/${i}`, mode, n, action: actions[i % 4] }, 'bench');
}

// Four distinct batches of page entries (tie-up pages of the 1,000 items, with assets and original pages
// between them that count toward nothing), cycled: the entries' (site, index) all differ.
const batches: EntryFields[][] = Array.from({ length: 4 }, (_, b) =>
  Array.from({ length: BATCH }, (_, i): EntryFields => {
    const k = b * BATCH + i;
    const other = k % 10 === 9;
    return {
      time: new Date(Date.UTC(2026, 11, 1) + k).toISOString(),
      site: 'north',
      type: 'page',
      path: other ? '/style.css' : `/items/${(k * 7919) % ITEMS}`,
      kind: other ? 'asset' : 'tie-up',
      release: 1,
      status: 200,
      bytes: 1200,
      user: null,
      session: null,
      client: '10.0.0.0/24',
      ua: 'browser',
      order: null,
    };
  }),
);

const next = new Map(SITES.map((s) => [s, 0]));
let bareMs = 0;
let ruledMs = 0;
let fired = 0;
const t0 = performance.now();
for (let done = 0, n = 0; done < ENTRIES; done += BATCH, n++) {
  const s = SITES[n % SITES.length]!;
  const from = next.get(s)!;
  const entries = batches[n % batches.length]!.slice(0, Math.min(BATCH, ENTRIES - done));
  const cp = { size: from + entries.length, root: 'bench' };
  // Alternate which goes first, so neither always runs on a warmer cache.
  const order = n % 2 === 0 ? ([bare, ruled] as const) : ([ruled, bare] as const);
  for (const x of order) {
    const a = performance.now();
    const ev = x.counts.ingest(s, from, entries, cp);
    const ms = performance.now() - a;
    if (x === bare) bareMs += ms;
    else {
      ruledMs += ms;
      fired += ev.length;
    }
  }
  next.set(s, from + entries.length);
  if (n % 200 === 199) process.stderr.write(`  ${fmt(done + entries.length)} entries\n`);
}
const wall = performance.now() - t0;
// The fired events' notices go into the outbox after the counting transaction (dispatch); timed on its own.
const d0 = performance.now();
const dispatched = ruled.counts.dispatch();
const dispatchMs = performance.now() - d0;

const total = (c: CountService) => c.overview().reduce((s, o) => s + o.count, 0);
const counted = total(ruled.counts);
if (counted !== total(bare.counts)) throw new Error(`the two counts differ: ${counted} vs ${total(bare.counts)}`);
const ratio = ruledMs / bareMs;
const noticesStored = ruled.main.notices.list({ limit: 1_000_000 }).filter((n) => n.kind.startsWith('count_')).length;

for (const x of [bare, ruled]) {
  await x.main.close();
  rmSync(x.dir, { recursive: true, force: true });
}

report(
  `Counting ${fmt(ENTRIES)} entries (${fmt(counted)} deliveries of ${ITEMS} items on ${SITES.length} sites, batches of ${BATCH})`,
  [
    ['bare count (no rules)', `${fmt(bareMs / 1000, 2)} s, ${fmt(ENTRIES / (bareMs / 1000))} entries/s`],
    ['with 1,000 rules', `${fmt(ruledMs / 1000, 2)} s, ${fmt(ENTRIES / (ruledMs / 1000))} entries/s`],
    ['events fired', `${fmt(fired)}`],
    [
      'their notices into the outbox (after)',
      `${fmt(dispatchMs / 1000, 2)} s for ${fmt(dispatched)} events, ${fmt((dispatchMs * 1000) / Math.max(1, dispatched))} us each; ${fmt(noticesStored)} notices stored`,
    ],
    ['count_ratio (target <= 1.3)', fmt(ratio, 3)],
    ['wall time', `${fmt(wall / 1000, 1)} s`],
  ],
  {
    count_entries: ENTRIES,
    count_bare_s: Number((bareMs / 1000).toFixed(3)),
    count_rules_s: Number((ruledMs / 1000).toFixed(3)),
    count_events: fired,
    count_notices_s: Number((dispatchMs / 1000).toFixed(3)),
    count_ratio: Number(ratio.toFixed(3)),
  },
);
