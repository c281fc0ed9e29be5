// npm run bench:fees — a period's statements for 1,000 partners over 10 million
// accepted log entries, against the bare SQL aggregation over the same rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNetworkConfig } from '../cli/network-config.js';
import { generateSiteKeys } from '../common/keys/keystore.js';
import { PAGE_CLASS_SQL } from '../main-site/logs/witness-store.js';
import { startMainSite } from '../main-site/server.js';
import { fmt, report } from './lib/report.js';

const PARTNERS = Number(process.env.BENCH_PARTNERS ?? 1000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10_000_000);
const PERIOD = '2026-11';
const contract = {
  currency: 'EUR',
  timeZone: 'UTC',
  versions: [
    {
      effectiveFrom: '2026-01-01',
      terms: {
        baseFee: { link: 2000, template: 5000, content: 10000 },
        services: { integrityWatch: 1500 },
        contributionDiscount: [{ minOriginalShareBps: 1000, discountBps: 1000 }],
        volumeIncentive: [{ above: 1000, discountBps: 500 }],
        handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 },
      },
    },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'tieup-bench-fees-'));
await generateSiteKeys(join(dir, 'keys'), 'main');
const main = await startMainSite(
  loadNetworkConfig('main', {}, { siteId: 'main', port: 0, dataDir: dir, keysDir: join(dir, 'keys'), logLevel: 'warn', contentDir: join(dir, 'c'), templatesDir: join(dir, 't') }),
  { defaultMetrics: false, watchContent: false },
);
const db = main.ctx.db;
try {
  console.log(`bench:fees: ${fmt(PARTNERS)} partners, ${fmt(ENTRIES)} accepted log entries in ${PERIOD}`);
  // Fixture, written straight into the tables (bench tooling, not product code): partners, contracts,
  // and entries with the columns fees count; lines and leaves are placeholders the fees never read.
  const t0 = performance.now();
  const now = new Date().toISOString();
  const perPartner = Math.floor(ENTRIES / PARTNERS);
  db.exec('DROP INDEX IF EXISTS witnessed_entries_time');
  // Every partner with the contract an enrolment writes (a content partnership: the type the fees bill).
  const terms = JSON.stringify(main.ctx.terms.initial({ sync: { partnershipType: 'content' } }));
  const addPeer = db.prepare("INSERT INTO peers (id, role, base_url, status, contract_json, created_at, updated_at) VALUES (?, 'partner', 'http://127.0.0.1:1', 'active', ?, ?, ?)");
  const addEntry = db.prepare(
    "INSERT INTO witnessed_entries (site, idx, line, leaf, time, type, kind, status, user_id, order_id, order_amount, currency, path, bytes) VALUES (?, ?, '{}', zeroblob(32), ?, ?, ?, 200, ?, ?, ?, ?, ?, ?)",
  );
  const addCp = db.prepare("INSERT INTO witnessed_checkpoints (site, size, root, time, note, signer_x, cosignature, accepted_at) VALUES (?, ?, zeroblob(32), ?, '', '', '', ?)");
  const start = Date.UTC(2026, 10, 1);
  for (let p = 0; p < PARTNERS; p++) {
    const site = `p${String(p).padStart(4, '0')}`;
    db.transaction(() => {
      addPeer.run(site, terms, now, now);
      for (let i = 0; i < perPartner; i++) {
        const time = new Date(start + Math.floor((i / perPartner) * 29 * 86400_000)).toISOString();
        const order = i % 100 === 99;
        addEntry.run(
          site,
          i,
          time,
          order ? 'order' : 'page',
          i % 4 === 3 ? 'original' : 'tie-up',
          i % 5 === 0 ? `u${i % 997}` : null,
          order ? `o${i}` : null,
          order ? 1000 + (i % 9000) : null,
          order ? 'EUR' : null,
          `/page-${i % 300}`,
          3000 + (i % 2000),
        );
      }
      addCp.run(site, perPartner, now, now);
    })();
    main.fees.setContract(site, contract, 'bench');
  }
  // Each entry's class for fees, as accept() stores it (and migration 004 filled it in for older rows).
  db.exec(`UPDATE witnessed_entries SET page_class = ${PAGE_CLASS_SQL}`);
  db.exec('CREATE INDEX witnessed_entries_time ON witnessed_entries (site, time)');
  db.exec('ANALYZE');
  const loadS = (performance.now() - t0) / 1000;

  const from = `${PERIOD}-01T00:00:00.000Z`;
  const to = '2026-12-01T00:00:00.000Z';
  const bareSql = () => {
    const t = performance.now();
    const pages = db
      .prepare(
        "SELECT site, SUM(kind = 'tie-up') AS t, SUM(kind = 'original') AS o, COUNT(DISTINCT user_id) AS u FROM witnessed_entries WHERE time >= ? AND time < ? AND type = 'page' AND status < 400 GROUP BY site",
      )
      .all(from, to);
    const orders = db.prepare("SELECT site, order_id, order_amount FROM witnessed_entries WHERE time >= ? AND time < ? AND type IN ('order', 'cancel', 'refund')").all(from, to);
    // Content sizes: distinct pages served per kind and their largest response (what the size basis counts).
    db.prepare(
      "SELECT site, kind, COUNT(*), SUM(b) FROM (SELECT site, kind, path, MAX(bytes) AS b FROM witnessed_entries WHERE time >= ? AND time < ? AND type = 'page' AND status = 200 AND kind IN ('tie-up', 'original') GROUP BY site, kind, path) GROUP BY site, kind",
    ).all(from, to);
    if (pages.length !== PARTNERS || orders.length === 0) throw new Error('fixture mismatch');
    return (performance.now() - t) / 1000;
  };
  const fees = () => {
    const t = performance.now();
    const s = main.fees.statements(PERIOD);
    if (s.length !== PARTNERS) throw new Error('statement count mismatch');
    return (performance.now() - t) / 1000;
  };
  bareSql();
  fees();
  const sqlRuns = [bareSql(), bareSql(), bareSql()].sort((a, b) => a - b);
  const feeRuns = [fees(), fees(), fees()].sort((a, b) => a - b);
  const sqlS = sqlRuns[1]!;
  const feesS = feeRuns[1]!;
  const sample = main.fees.statement('p0000', PERIOD);

  report(
    'Fees: statements for a period against the bare SQL aggregation',
    [
      ['partners / entries', `${fmt(PARTNERS)} / ${fmt(ENTRIES)}`],
      ['fixture load, s', fmt(loadS, 1)],
      ['bare SQL aggregation (pages by kind, users, orders, content), s', fmt(sqlS, 3)],
      ['all statements (per-partner queries + fee engine), s', fmt(feesS, 3)],
      ['fees_ratio (statements / SQL)', fmt(feesS / sqlS, 3)],
      ['sample: p0000 total', `${fmt(sample.total)} minor units, ${sample.lines.length} lines`],
    ],
    { fees_s: Number(feesS.toFixed(3)), sql_s: Number(sqlS.toFixed(3)), fees_ratio: Number((feesS / sqlS).toFixed(3)), partners: PARTNERS, entries: ENTRIES },
  );
} finally {
  await main.close();
  rmSync(dir, { recursive: true, force: true });
}
