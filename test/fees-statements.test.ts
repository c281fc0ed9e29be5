import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryFields } from '../common/logchain/entry.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { api } from './helpers/sync-network.js';
import { runCli } from './helpers/cli.js';
import { startNetwork, TEST_TOKEN, type TestNetwork } from './helpers/network.js';
import { fakeView } from './helpers/log-bundle.js';

const CONTRACT = {
  currency: 'EUR',
  timeZone: 'UTC',
  versions: [
    {
      effectiveFrom: '2026-01-01',
      terms: {
        baseFee: { link: 2000, template: 5000, content: 10000 },
        services: { integrityWatch: 1500 },
        contributionDiscount: [{ minOriginalShareBps: 2000, discountBps: 1000 }],
        handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 },
      },
    },
  ],
};

describe('fee statements from witnessed logs: API, CSV, close, adjustments, partner view, recompute', function () {
  this.timeout(60000);
  let net: TestNetwork;
  const at = (iso: string, f: Partial<EntryFields>): EntryFields => ({ ...fakeView('north', 0), time: iso, ...f });
  before(async () => {
    net = await startNetwork(['north']);
    const north = net.partners.north!;
    // October: 8 tie-up and 2 original page views (20% original), one order.
    for (let i = 0; i < 10; i++) north.ctx.log.append(at(`2026-10-10T10:00:0${i}.000Z`, { kind: i < 8 ? 'tie-up' : 'original', user: `u${i % 3}` }));
    north.ctx.log.append(at('2026-10-11T10:00:00.000Z', { type: 'order', path: '/checkout', kind: 'tie-up', order: { id: 'o-oct', amount: 10000, currency: 'EUR' } }));
    // November: 30 views, 3 original (10%), a 404 that does not count, an order and a refund of the October order.
    for (let i = 0; i < 30; i++) north.ctx.log.append(at(`2026-11-02T10:00:${String(i).padStart(2, '0')}.000Z`, { kind: i < 27 ? 'tie-up' : 'original' }));
    north.ctx.log.append(at('2026-11-02T11:00:00.000Z', { kind: 'none', status: 404 }));
    north.ctx.log.append(at('2026-11-03T10:00:00.000Z', { type: 'order', path: '/checkout', order: { id: 'o-nov', amount: 1020, currency: 'EUR' } }));
    north.ctx.log.append(at('2026-11-04T10:00:00.000Z', { type: 'refund', path: '/account', order: { id: 'o-oct', amount: 10000, currency: 'EUR' } }));
    north.ctx.log.flush();
    const shipped = await shipLog(north.ctx, north.ctx.logStore);
    assert.equal(shipped.error, undefined);
  });
  after(() => net.close());
  const main = () => net.main.url;
  /** The auditor's keys: each site's published JWKS saved to a file and bound to its role. */
  const pinnedKeys = async () => {
    for (const [id, url] of [
      ['north', net.partners.north!.url],
      ['main', net.main.url],
    ] as const)
      writeFileSync(join(net.dir, `${id}-jwks.json`), await (await fetch(`${url}/.well-known/jwks.json`)).text());
    return ['--site-keys', `north=${join(net.dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(net.dir, 'main-jwks.json')}`];
  };

  it('refuses an invalid fee contract with a clear message, and stores a valid one', async () => {
    const bad = await api(main(), 'PUT', '/admin/api/partners/north/fee-contract', { ...CONTRACT, currency: 'EURO' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_fee_contract');
    assert.match(bad.body.error.message, /currency/);
    const ok = await api(main(), 'PUT', '/admin/api/partners/north/fee-contract', CONTRACT);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.revision, 1);
  });

  it('computes each period from its own entries, with the checkpoint the counts rest on', async () => {
    const oct = (await api(main(), 'GET', '/admin/api/fees/statements?period=2026-10')).body.statements[0];
    assert.deepEqual(
      oct.lines.map((l: { code: string; amount: number }) => [l.code, l.amount]),
      [
        ['base', 10000],
        ['service.integrityWatch', 1500],
        ['discount.contribution', -1000],
        ['handling', 280],
      ],
    );
    assert.equal(oct.total, 10780);
    assert.deepEqual(oct.usage.pageAccesses, { tieUp: 8, original: 2 });
    assert.equal(oct.usage.uniqueUsers, 3);
    // Content sizes come from the log too: distinct pages served per kind and their sizes.
    assert.deepEqual(oct.usage.content, { tieUpPages: 1, originalPages: 1, tieUpBytes: 1000, originalBytes: 1000 });
    assert.equal(oct.checkpoint.site, 'north');
    assert.equal(oct.checkpoint.size, net.partners.north!.ctx.log.size);
    const nov = (await api(main(), 'GET', '/admin/api/fees/statements?period=2026-11')).body.statements[0];
    // 10% original share is below the 20% tier; a 10.20 order (25.5 -> 26 + 30); the October order refunded here.
    assert.deepEqual(
      nov.lines.map((l: { code: string; amount: number }) => [l.code, l.amount]),
      [
        ['base', 10000],
        ['service.integrityWatch', 1500],
        ['discount.contribution', 0],
        ['handling', 56],
        ['handling.reversal', -280],
      ],
    );
    assert.deepEqual(nov.usage.pageAccesses, { tieUp: 27, original: 3 });
  });

  it('downloads statements as CSV', async () => {
    const res = await fetch(`${main()}/admin/api/fees/statements?period=2026-10&format=csv`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.match(res.headers.get('content-type') ?? '', /text\/csv/);
    const csv = await res.text();
    assert.match(csv, /^partner,period,status,currency,contract_version,line,/);
    assert.match(csv, /north,2026-10,draft,EUR,2026-01-01,total,Total,sum of the lines,10780,/);
  });

  it('the partner reads its own statement over the authenticated channel', async () => {
    const r = await api(net.partners.north!.url, 'GET', '/manage/api/fees?period=2026-10');
    assert.equal(r.status, 200);
    assert.equal(r.body.total, 10780);
  });

  it('closing freezes a statement with its hash; a late entry becomes an adjustment line on the next period', async () => {
    const closed = await api(main(), 'POST', '/admin/api/fees/close', { period: '2026-10' });
    assert.equal(closed.body.statements[0].status, 'closed');
    assert.match(closed.body.statements[0].hash, /^[0-9a-f]{64}$/);
    // An October page view arrives after October closed.
    const north = net.partners.north!;
    north.ctx.log.append(at('2026-10-30T23:59:59.000Z', { kind: 'original' }));
    north.ctx.log.flush();
    await shipLog(north.ctx, north.ctx.logStore);
    const oct = (await api(main(), 'GET', '/admin/api/fees/statements/north/2026-10')).body;
    assert.equal(oct.status, 'closed');
    assert.equal(oct.total, 10780, 'a closed statement never changes');
    const nov = (await api(main(), 'GET', '/admin/api/fees/statements?period=2026-11')).body.statements[0];
    // October recomputed: 8 tie-up, 3 original = 27.27%: still the 10% tier, so no difference.
    assert.equal(nov.lines.filter((l: { code: string }) => l.code === 'adjustment').length, 0);
    // An October order arriving late does change October: its handling fee is adjusted in November.
    north.ctx.log.append(at('2026-10-31T12:00:00.000Z', { type: 'order', path: '/checkout', order: { id: 'o-late', amount: 4000, currency: 'EUR' } }));
    north.ctx.log.flush();
    await shipLog(north.ctx, north.ctx.logStore);
    const nov2 = (await api(main(), 'GET', '/admin/api/fees/statements?period=2026-11')).body.statements[0];
    const adj = nov2.lines.find((l: { code: string }) => l.code === 'adjustment');
    assert.equal(adj.amount, 130); // 2.5% of 40.00 = 1.00 + 0.30
    assert.equal(nov2.total, 10000 + 1500 + 56 - 280 + 130);
  });

  it('tieup fees recompute: from an exported bundle alone, matches the stored statement line by line; a doctored statement or bundle does not', async () => {
    const bundle = join(net.dir, 'north.jsonl');
    const exp = await runCli(['audit', 'export', '--site', 'north', '--with-contract', '--out', bundle, '--url', main()], { TIEUP_TOKEN: TEST_TOKEN });
    assert.equal(exp.code, 0, exp.stderr);
    const keys = await pinnedKeys();
    const r = await runCli(['fees', 'recompute', '--bundle', bundle, '--period', '2026-10', '--url', main(), ...keys], { TIEUP_TOKEN: TEST_TOKEN });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /matches the stored statement line by line/);
    const stored = (await api(main(), 'GET', '/admin/api/fees/statements/north/2026-11')).body;
    const nov = await runCli(['fees', 'recompute', '--bundle', bundle, '--period', '2026-11', '--url', main(), ...keys], { TIEUP_TOKEN: TEST_TOKEN });
    assert.equal(nov.code, 0, nov.stdout + nov.stderr);
    assert.match(nov.stdout, /plus 1 adjustment line/);
    stored.lines[0].amount += 1;
    const doctored = join(net.dir, 'doctored.json');
    writeFileSync(doctored, JSON.stringify(stored));
    const bad = await runCli(['fees', 'recompute', '--bundle', bundle, '--period', '2026-11', '--statement', doctored, ...keys]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MISMATCH/);
    const offline = await runCli(['fees', 'recompute', '--bundle', bundle, '--period', '2026-10', '--offline', ...keys]);
    assert.equal(offline.code, 0);
    // Offline, October as the log stands now: the late order included (what November's adjustment accounts for).
    assert.match(offline.stdout, /Total\s+109\.10 EUR/);
  });

  it('tieup fees recompute --offline takes the pinned keys: refuses a bundle whose keys the auditor did not give, unless --trust-bundle-keys (loudly), and a bundle not signed by the pinned site key', async () => {
    const bundle = join(net.dir, 'north-keys.jsonl');
    assert.equal((await runCli(['audit', 'export', '--site', 'north', '--with-contract', '--out', bundle, '--url', main()], { TIEUP_TOKEN: TEST_TOKEN })).code, 0);
    const keys = await pinnedKeys();
    const base = ['fees', 'recompute', '--bundle', bundle, '--period', '2026-10', '--offline'];
    const none = await runCli(base);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no keys were given/);
    assert.doesNotMatch(none.stdout, /Total/);
    const own = await runCli([...base, '--trust-bundle-keys']);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stderr, /WARNING: --trust-bundle-keys/);
    const pinned = await runCli([...base, ...keys]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.doesNotMatch(pinned.stderr, /WARNING/);
    // main's key pinned as north's: the checkpoints are not north's (and one key can never be signer and witness).
    const swapped = await runCli([...base, '--site-keys', `north=${join(net.dir, 'main-jwks.json')}`]);
    assert.equal(swapped.code, 16, swapped.stdout + swapped.stderr);
    assert.doesNotMatch(swapped.stdout, /Total/);
    assert.equal((await runCli([...base, '--keys', join(net.dir, 'north-jwks.json')])).code, 2);
  });
});
