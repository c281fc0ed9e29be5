// npm run bench:paid (second part) — the sales report for 1,000 partners x
// 1,000 items over 10 million key records, against the bare SQL aggregation of
// the same figures, in one run, alternating rounds (ABBA).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../common/paths.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { cycleOf } from '../main-site/paid/reports/cycles.js';
import { ReportStore } from '../main-site/paid/reports/report-store.js';
import { tabulate, type ItemInfo } from '../main-site/paid/reports/tabulate.js';
import { tempDir } from '../test/helpers/network.js';
import { fmt, report } from './lib/report.js';

const KEYS = Number(process.env.BENCH_REPORT_KEYS ?? 10_000_000);
const PARTNERS = 1000;
const ITEMS = 1000;
const ROUNDS = Number(process.env.BENCH_REPORT_ROUNDS ?? 2);
const CHUNK = 1_000_000;

const dir = tempDir('tieup-bench-report-');
const db = openDatabase(join(dir, 'main.db'));
try {
  runMigrations(db, [{ namespace: 'paid', dir: fromRoot('main-site/paid/migrations') }]);
  // Generation only (not measured): no fsync, a large page cache for the five indexes being filled.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const store = new ReportStore(db);
  const w = cycleOf('monthly', '2026-11')!;
  // Keys over October and November: the report reads both (November's figures, October's for growth).
  const t0 = performance.now();
  for (let done = 0; done < KEYS; done += CHUNK) {
    const count = Math.min(CHUNK, KEYS - done);
    const span = (w.to.getTime() - w.previousFrom.getTime()) / KEYS;
    store.transaction(() =>
      store.insertSyntheticKeys({
        count,
        partners: PARTNERS,
        items: ITEMS,
        from: new Date(w.previousFrom.getTime() + done * span),
        to: new Date(w.previousFrom.getTime() + (done + count) * span),
        amount: 300,
        currency: 'EUR',
        idPrefix: `k${String(done / CHUNK).padStart(3, '0')}-`,
      }),
    );
    process.stdout.write(`\rgenerated ${fmt(done + count)} key records in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  }
  const genSeconds = (performance.now() - t0) / 1000;
  process.stdout.write('\n');
  db.pragma('analysis_limit = 1000');
  db.exec('ANALYZE');
  const catalog = new Map<string, ItemInfo>();
  for (let i = 0; i < ITEMS; i++) catalog.set(`item-${i}`, { id: `item-${i}`, title: `Item ${i}`, supplier: `supplier-${i % 100}`, category: `category-${i % 20}`, chargeType: 'per_access' });

  // The bare SQL aggregation: the report's own GROUP BY statements, every row read, nothing more.
  const bare = () => {
    const k = store.keyCells(w);
    const s = store.subscriptionCells(w);
    return k.length + s.length;
  };
  // The report: the same statements, then lines per item and partner, totals both ways, ranks overall and per category.
  const full = () => tabulate(w, store.keyCells(w), store.subscriptionCells(w), catalog, null);
  const time = <T>(f: () => T): [number, T] => {
    const s = performance.now();
    const r = f();
    return [(performance.now() - s) / 1000, r];
  };
  console.log(`bench:paid report: ${fmt(KEYS)} key records, ${PARTNERS} partners x ${ITEMS} items, monthly report of 2026-11 (reads October too, for growth); ${ROUNDS} ABBA rounds`);
  bare(); // warm the page cache
  const a: number[] = [];
  const b: number[] = [];
  let cells = 0;
  let check: ReturnType<typeof full> | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['bare', 'report'] : ['report', 'bare'];
    for (const o of order) {
      if (o === 'bare') {
        const [t, n] = time(bare);
        a.push(t);
        cells = n;
      } else {
        const [t, rep] = time(full);
        b.push(t);
        check = rep;
      }
    }
  }
  if (!check || check.total.accesses + check.total.previousValid !== KEYS) throw new Error(`the report does not count every key: ${check?.total.accesses} + ${check?.total.previousValid}`);
  const [jsonSeconds, json] = time(() => JSON.stringify(check).length);
  const avg = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length;
  const ratio = avg(b) / avg(a);
  const each = (x: number[]) => x.map((v) => fmt(v, 2)).join(', ');
  report(
    'Sales report vs the bare SQL aggregation of the same figures',
    [
      ['key records', `${fmt(KEYS)} (generated in ${fmt(genSeconds, 0)} s, one INSERT ... SELECT from a recursive CTE per million)`],
      ['bare SQL aggregation', `${fmt(avg(a), 2)} s  (${each(a)}), ${fmt(cells)} grouped rows`],
      ['sales report', `${fmt(avg(b), 2)} s  (${each(b)}), ${fmt(check.items.length)} items, ${fmt(check.partners.length)} partners`],
      ['report_ratio', `${fmt(ratio, 3)}   target <= 1.2`],
      ['JSON of the whole report (not in the ratio)', `${fmt(jsonSeconds, 2)} s, ${fmt(json / 1e6, 0)} MB`],
    ],
    {
      keys: KEYS,
      partners: PARTNERS,
      items: ITEMS,
      bare_sql_s: Number(avg(a).toFixed(3)),
      report_s: Number(avg(b).toFixed(3)),
      report_ratio: Number(ratio.toFixed(3)),
      generate_s: Math.round(genSeconds),
    },
  );
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
