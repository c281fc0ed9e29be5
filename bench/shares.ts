// npm run bench:shares — every statement of 10,000 contributors and 500
// planners (and their partners and the main site) over 1,000,000 sales of
// planned pages, closed month by month from the parts table as the close job
// does (planned-shares computeDue), against the bare SQL aggregation of the
// same sales (per planner and per contributor, month by month), in one run,
// alternating rounds (ABBA). z-planned adds page_ratio: see PAGE_BENCH below.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../common/paths.js';
import { plannerTerms, saleRecord, splitSale, holdUntil, canonicalJson, recordDigest, type ContractVersion } from '../common/planned/shares/index.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { computeDue } from '../main-site/planned/shares/closing.js';
import { SharesStore } from '../main-site/planned/shares/shares-store.js';
import { tempDir } from '../test/helpers/network.js';
import { fmt, report } from './lib/report.js';
import { rng } from '../test/helpers/rng.js';

const SALES = Number(process.env.BENCH_SHARES_SALES ?? 1_000_000);
const PLANNERS = 500;
const CONTRIBUTORS = 10_000;
const ROUNDS = Number(process.env.BENCH_SHARES_ROUNDS ?? 2);
const PARTNERS = ['north', 'south', 'east'];
const YEAR_START = Date.parse('2026-01-01T00:00:00.000Z');
const YEAR_MS = 365 * 86_400_000;
const NOW = '2027-01-01T00:10:00.000Z';

/**
 * Where z-planned's planned-page serving bench plugs in: a module
 * bench/shares-page.ts exporting `pageBench(): Promise<{ rows: [string, string][]; figures: { page_ratio: number } & Record<string, number> }>`.
 * Loaded by name at run time, so this file builds without it.
 */
const PAGE_BENCH = './shares-page.js';

const hex = (n: number) => n.toString(16).padStart(12, '0');
const plannerId = (i: number) => `p-a${hex(i).slice(1)}`;
const contributorId = (i: number) => `p-c${hex(i).slice(1)}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = tempDir('tieup-bench-shares-');
  const db = openDatabase(join(dir, 'main.db'));
  try {
    runMigrations(db, [{ namespace: 'planned-shares', dir: fromRoot('main-site/planned/shares/migrations') }]);
    // Generation only (not measured): no fsync, a large page cache while the indexes fill.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    // The baseline's own tables: the same sales, one row per contribution sold, indexed for its scans.
    db.exec(`CREATE TABLE bench_sale_contributions (sale_id TEXT NOT NULL, contributor TEXT NOT NULL);
             CREATE INDEX bench_sales_by_time ON planned_share_sales (at, planner, amount, sale_id);`);
    const store = new SharesStore(db);
    const r = rng(16);
    const contracts = new Map<string, ContractVersion[]>();
    const t0 = performance.now();
    db.transaction(() => {
      for (let p = 0; p < PLANNERS; p++) {
        const planner = plannerId(p);
        const terms = plannerTerms.parse({
          currency: 'EUR',
          plannerShareBps: 2000 + (p % 7) * 250,
          contributorPay: p % 2 ? { basis: 'contribution_sales', bps: 2500 } : { basis: 'page_sales_by_use', bps: 2000 },
          partnerHandlingBps: 1000,
          mainShare: { type: 'remainder' },
          holdingDays: [0, 7, 14, 30][p % 4]!,
          payoutMinimum: [0, 1000, 5000][p % 3]!,
          statementCycle: 'monthly',
        });
        const v: ContractVersion = { planner, version: 1, effectiveFrom: '2025-12-01T00:00:00.000Z', recordedAt: '2025-12-01T00:00:00.000Z', terms };
        contracts.set(planner, [v]);
        store.insertContract(planner, 1, v.effectiveFrom, v.recordedAt, canonicalJson(v), recordDigest(v), p);
      }
      const insertContribution = db.prepare('INSERT INTO bench_sale_contributions (sale_id, contributor) VALUES (?, ?)');
      for (let i = 0; i < SALES; i++) {
        const p = Math.floor(r() * PLANNERS);
        const planner = plannerId(p);
        // Each planner has 20 contributors; a sale is one contribution (70%) or the page with three.
        const pick = () => p + PLANNERS * Math.floor(r() * (CONTRIBUTORS / PLANNERS));
        const whole = r() < 0.3;
        const cs = whole ? [...new Set([pick(), pick(), pick()])] : [pick()];
        const time = new Date(YEAR_START + Math.floor(r() * YEAR_MS)).toISOString();
        const sale = saleRecord.parse({
          saleId: `s${i}`,
          time,
          planner,
          page: `page-${p}`,
          kind: cs.length === 1 && !whole ? 'contribution' : 'page',
          contributions: cs.map((c) => ({ contribution: `c${c}`, contributor: contributorId(c), uses: 1 + (c % 9) })),
          amount: 100 + Math.floor(r() * 4900),
          currency: 'EUR',
          site: r() < 0.5 ? 'main' : PARTNERS[Math.floor(r() * PARTNERS.length)]!,
          orderRef: `o${i}`,
        });
        const terms = contracts.get(planner)![0]!.terms;
        const parts = splitSale(sale, terms, 'main');
        store.insertSale({ saleId: sale.saleId, planner, at: time, amount: sale.amount, currency: 'EUR', contractVersion: 1, record: '{}', digest: '', entryIndex: i });
        const until = holdUntil(time, terms.holdingDays);
        store.insertParts(
          parts
            .filter((x) => x.amount !== 0)
            .map((x) => ({ account: store.accountId(planner, x.role, x.party), at: time, saleAt: time, holdUntil: until, amount: x.amount, kind: 's' as const, event: sale.saleId })),
        );
        for (const c of sale.contributions) insertContribution.run(sale.saleId, c.contributor);
      }
    })();
    db.exec('CREATE INDEX bench_contributions_by_sale ON bench_sale_contributions (sale_id, contributor); ANALYZE;');
    db.pragma('synchronous = NORMAL');
    const genS = (performance.now() - t0) / 1000;
    const partsN = (db.prepare('SELECT COUNT(*) AS n FROM planned_share_parts').get() as { n: number }).n;
    const accountsN = (db.prepare('SELECT COUNT(*) AS n FROM planned_share_accounts').get() as { n: number }).n;

    // A: every account's statement of every month of the year, as the close job computes them.
    let statements = 0;
    const engine = () => {
      const t = performance.now();
      const due = computeDue(store, (p) => contracts.get(p) ?? [], NOW);
      statements = due.statements.length;
      return performance.now() - t;
    };
    // B: the bare aggregation of the same sales: per planner, and per contributor, month by month.
    const months = Array.from({ length: 12 }, (_, m) => [new Date(Date.UTC(2026, m, 1)).toISOString(), new Date(Date.UTC(2026, m + 1, 1)).toISOString()] as const);
    const perPlanner = db.prepare('SELECT planner, SUM(amount) AS total, COUNT(*) AS n FROM planned_share_sales WHERE at >= ? AND at < ? GROUP BY planner');
    const perContributor = db.prepare(
      'SELECT c.contributor, SUM(s.amount) AS total, COUNT(*) AS n FROM planned_share_sales s JOIN bench_sale_contributions c ON c.sale_id = s.sale_id WHERE s.at >= ? AND s.at < ? GROUP BY c.contributor',
    );
    let bareRows = 0;
    const bare = () => {
      const t = performance.now();
      bareRows = 0;
      for (const [from, to] of months) bareRows += perPlanner.all(from, to).length + perContributor.all(from, to).length;
      return performance.now() - t;
    };
    if (process.env.BENCH_SHARES_PROFILE) {
      for (const [name, f] of [
        ['windowTotals', () => months.forEach(([from, to]) => store.windowTotals(from, to))],
        ['perPlanner', () => months.forEach(([from, to]) => perPlanner.all(from, to))],
        ['perContributor', () => months.forEach(([from, to]) => perContributor.all(from, to))],
        ['engine', () => computeDue(store, (p) => contracts.get(p) ?? [], NOW)],
      ] as const) {
        const t = performance.now();
        f();
        console.log(name, Math.round(performance.now() - t), 'ms');
      }
    }
    engine();
    bare(); // warm the page cache for both
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // ABBA: neither side always runs on a warmer cache.
      a.push(engine());
      b.push(bare());
      b.push(bare());
      a.push(engine());
    }
    const engineMs = median(a);
    const bareMs = median(b);
    const ratio = engineMs / bareMs;
    const rows: [string, string][] = [
      ['sales', fmt(SALES)],
      ['planners / contributors / accounts', `${fmt(PLANNERS)} / ${fmt(CONTRIBUTORS)} / ${fmt(accountsN)}`],
      ['parts (one per party per sale)', fmt(partsN)],
      ['generation (not measured)', `${fmt(genS, 1)} s`],
      ['statements closed (12 months, every account)', fmt(statements)],
      ['shares engine: all statements', `${fmt(engineMs)} ms (median of ${a.length})`],
      ['bare SQL aggregation, same sales', `${fmt(bareMs)} ms (median of ${b.length}, ${fmt(bareRows)} rows)`],
      ['shares_ratio (engine / bare, target <= 1.3)', fmt(ratio, 2)],
    ];
    const figures: Record<string, number> = {
      sales: SALES,
      planners: PLANNERS,
      contributors: CONTRIBUTORS,
      statements,
      engine_ms: Math.round(engineMs),
      bare_ms: Math.round(bareMs),
      shares_ratio: Number(ratio.toFixed(3)),
    };
    try {
      const page = (await import(PAGE_BENCH)) as { pageBench?: () => Promise<{ rows: [string, string][]; figures: Record<string, number> }> };
      if (page.pageBench) {
        const p = await page.pageBench();
        rows.push(...p.rows);
        Object.assign(figures, p.figures);
      }
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
    report('Planned shares: statements against the bare aggregation of the same sales', rows, figures);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
