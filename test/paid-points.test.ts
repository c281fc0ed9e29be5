import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../common/errors.js';
import { adsModule, type MainAds } from '../main-site/ads/index.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { ADS_FAST, testAd } from './helpers/ads-network.js';
import { runCli } from './helpers/cli.js';
import { fetchBundle } from './helpers/log-bundle.js';
import { TEST_TOKEN } from './helpers/network.js';
import { Shopper } from './helpers/shopper.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

const PASSWORD = 'a long enough passphrase';
const M = 3;
/** Keys asked of the main site's service directly (no partner bill): under a partner id of their own, so north's statement stays whole. */
const DIRECT = 'south';
const linkOf = (html: string): string | undefined => /class="ad-open" rel="nofollow" href="(\/ads\/open\/[^"]+)"/.exec(html)?.[1];

describe('paid content discounted by viewing points: (CP - SP) x m on per-access keys, points spent once with the key', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let ads: MainAds;
  let reader: Shopper;
  let readerId: string;
  let plainId: string;
  let n = 0;
  const idem = () => `points-idempotency-${String(++n).padStart(4, '0')}`;
  const period = new Date().toISOString().slice(0, 7);
  const north = () => net.partners.north!;
  const keyRow = async (id: string) => ((await api(net.main.url, 'GET', '/admin/api/paid/keys')).body.keys as { id: string; amount: number }[]).find((k) => k.id === id);
  const northCharge = async (id: string) => ((await api(north().url, 'GET', '/manage/api/paid/charges')).body.charges as { id: string; amount: number }[]).find((c) => c.id === id);
  /** The key_issued entry's charge, as the main site's signed log holds it. */
  const loggedCharge = (keyId: string) => {
    const db = new Database(net.main.ctx.config.dbFile, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT line FROM log_entries WHERE line LIKE ?').all(`%"type":"key_issued"%${keyId}%`) as { line: string }[];
      return rows.map((r) => (JSON.parse(r.line) as { order: { amount: number; currency: string } }).order);
    } finally {
      db.close();
    }
  };
  const spendsOf = (user: string) => ads.points(user).spent.map((s) => [s.ref, s.points]);
  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err instanceof AppError ? err.code : String(err);
    }
    return 'issued';
  };

  /** Opens ad details on north as the shopper until the balance reaches `balance` (each ad credits once a month). */
  async function earnUntil(balance: number): Promise<void> {
    for (let i = 0; i < 400 && ads.points(readerId).balance < balance; i++) {
      const page = await reader.agent.get('/').set('accept', 'text/html');
      const link = linkOf(page.text);
      if (link) await reader.agent.get(link).set('accept', 'text/html');
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ads.points(readerId).balance, balance);
  }

  /** A new ad, the only live one: each ad credits a shopper once a month. */
  function commission(id: string): void {
    for (const a of ads.list({ state: 'active' })) ads.withdraw(a.id, 'test');
    ads.create({ advertiser: advertiser(), ad: testAd(id, { points: 25 }), paidCount: 500, price: { amount: 100, currency: 'EUR' } }, 'test');
    ads.pay({ payment: `pay-${id}`, ad: id, amount: 100, currency: 'EUR' }, 'operator', 'test');
  }
  let advertiserId = '';
  const advertiser = () => (advertiserId ||= net.main.portal.invite({ email: 'ads@advertiser.test', kind: 'advertiser', displayName: 'Trail Gear Ltd' }, 'test').party.id);

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }], { ...ADS_FAST, adsPointValueMinor: M });
    // 300 EUR cents = 100 points at m = 3: the seed's CP = 100.
    net.write(
      'paid/trail-guide/item.json',
      JSON.stringify({ id: 'trail-guide', title: 'Guide', supplier: 'fernhill-press', category: 'guides', charge: { type: 'per_access', price: { amount: 300, currency: 'EUR' } } }),
    );
    net.write(
      'paid/monthly-digest/item.json',
      JSON.stringify({ id: 'monthly-digest', title: 'Digest', supplier: 'fernhill-press', category: 'news', charge: { type: 'per_period', period: 'month', price: { amount: 500, currency: 'EUR' } } }),
    );
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'paid items' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/north/push', {})).body.outcome, 'active');
    ads = net.main.use(adsModule);
    reader = new Shopper(north().url);
    assert.equal((await reader.register('reader@example.org', PASSWORD)).status, 303);
    assert.equal((await new Shopper(north().url).register('plain@example.org', PASSWORD)).status, 303);
    const users = (await api(net.main.url, 'GET', '/admin/api/users')).body.users as { id: string; email: string }[];
    readerId = users.find((u) => u.email === 'reader@example.org')!.id;
    plainId = users.find((u) => u.email === 'plain@example.org')!.id;
    commission('ad-one');
  });
  after(() => net?.close());

  it('a shopper without points pays the full price; nothing is spent', async () => {
    const a = await north().paid.requestKey(plainId, 'trail-guide', '127.0.0.1', idem());
    assert.deepEqual(a.charge, { amount: 300, currency: 'EUR' });
    assert.equal((await keyRow(a.keyId))?.amount, 300);
    assert.deepEqual(loggedCharge(a.keyId), [{ id: a.keyId, amount: 300, currency: 'EUR' }]);
    assert.equal((await northCharge(a.keyId))?.amount, 300);
    assert.deepEqual(spendsOf(plainId), []);
  });

  it('after viewing a 25-point ad, 100-point content costs (100 - 25) x m, once: in the key, its key_issued entry and the partner’s bill', async () => {
    await earnUntil(25);
    const a = await north().paid.requestKey(readerId, 'trail-guide', '127.0.0.1', idem());
    assert.deepEqual(a.charge, { amount: (100 - 25) * M, currency: 'EUR' });
    assert.equal((await keyRow(a.keyId))?.amount, 225);
    assert.deepEqual(loggedCharge(a.keyId), [{ id: a.keyId, amount: 225, currency: 'EUR' }]);
    assert.equal((await northCharge(a.keyId))?.amount, 225);
    assert.deepEqual(spendsOf(readerId), [[`paid-key:${a.keyId}`, 25]]);
    assert.equal(ads.points(readerId).balance, 0);
    // The points are gone: the next key costs the full price.
    const b = await north().paid.requestKey(readerId, 'trail-guide', '127.0.0.1', idem());
    assert.equal(b.charge.amount, 300);
    assert.equal(spendsOf(readerId).length, 1);
    // The shopper's account at the main site shows the spend.
    const atMain = new Shopper(net.main.url);
    await atMain.login('reader@example.org', PASSWORD);
    assert.match((await atMain.agent.get('/account').set('accept', 'text/html')).text, /25 spent on paid item trail-guide/);
  });

  it('a retried request with the same idempotency key, at once or later, gets the same charge and spends nothing more', async () => {
    commission('ad-two');
    await earnUntil(25);
    const req = { user: readerId, item: 'trail-guide', clientAddress: '127.0.0.1', idempotencyKey: idem() };
    // Both copies arrive before the group commit: the second waits for the first's.
    const [first, second] = await Promise.all([net.main.paid.issueKey(DIRECT, req), net.main.paid.issueKey(DIRECT, req)]);
    const later = await net.main.paid.issueKey(DIRECT, req);
    assert.equal(first.replayed, false);
    for (const r of [second, later]) {
      assert.equal(r.keyId, first.keyId);
      assert.equal(r.replayed, true);
    }
    for (const r of [first, second, later]) assert.deepEqual(r.charge, { amount: 225, currency: 'EUR' });
    assert.deepEqual(spendsOf(readerId).slice(1), [[`paid-key:${first.keyId}`, 25]]);
    assert.equal(ads.points(readerId).balance, 0);
    // Over s2s through the partner too: one charge on the member's bill, no second spend.
    commission('ad-three');
    await earnUntil(25);
    const key = idem();
    const x = await north().paid.requestKey(readerId, 'trail-guide', '127.0.0.1', key);
    const y = await north().paid.requestKey(readerId, 'trail-guide', '127.0.0.1', key);
    assert.equal(y.keyId, x.keyId);
    assert.equal(x.charge.amount, 225);
    assert.equal(y.charge.amount, 225);
    assert.equal(spendsOf(readerId).filter(([ref]) => ref === `paid-key:${x.keyId}`).length, 1);
    assert.equal(ads.points(readerId).balance, 0);
  });

  it('a refused issue spends nothing; a period item’s key (charged at subscription) uses no points', async () => {
    commission('ad-four');
    await earnUntil(25);
    const before = spendsOf(readerId);
    const used = idem();
    await net.main.paid.issueKey(DIRECT, { user: plainId, item: 'trail-guide', clientAddress: '127.0.0.1', idempotencyKey: used });
    const refused = [
      await refusal(net.main.paid.issueKey(DIRECT, { user: readerId, item: 'trail-guide', clientAddress: '127.0.0.1', idempotencyKey: used })),
      await refusal(net.main.paid.issueKey(DIRECT, { user: readerId, item: 'no-such-item', clientAddress: '127.0.0.1', idempotencyKey: idem() })),
      await refusal(net.main.paid.issueKey(DIRECT, { user: readerId, item: 'monthly-digest', clientAddress: '127.0.0.1', idempotencyKey: idem() })),
    ];
    assert.deepEqual(refused, ['idempotency_key_reused', 'item_not_found', 'subscription_missing']);
    assert.deepEqual(spendsOf(readerId), before);
    assert.equal(ads.points(readerId).balance, 25);
    await north().paid.subscribe(readerId, 'monthly-digest', '127.0.0.1');
    const k = await north().paid.requestKey(readerId, 'monthly-digest', '127.0.0.1', idem());
    assert.equal(k.charge.amount, 0);
    assert.equal(ads.points(readerId).balance, 25);
  });

  it('reconciliation and supplier statements use the charged amounts, and the offline recomputations match', async () => {
    const r = await api(north().url, 'POST', '/manage/api/paid/statements', { period });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.status, 'reconciled');
    const main = net.main.paid.store.keys({ partner: 'north', item: 'trail-guide' });
    assert.equal(main.length, 4);
    const charged = main.reduce((s, k) => s + k.amount, 0);
    assert.ok(main.some((k) => k.amount === 225) && main.some((k) => k.amount === 300));
    assert.deepEqual(
      (r.body.items as { item: string; main: { amount: number }; partner: { amount: number } }[]).filter((i) => i.item === 'trail-guide').map((i) => [i.main.amount, i.partner.amount]),
      [[charged, charged]],
    );

    const dir = net.dir;
    assert.equal((await shipLog(north().ctx, north().ctx.logStore)).error, undefined);
    for (const [id, url] of [
      ['north', north().url],
      ['main', net.main.url],
    ] as const)
      writeFileSync(join(dir, `${id}-jwks.json`), await (await fetch(`${url}/.well-known/jwks.json`)).text());
    writeFileSync(join(dir, 'main.bundle'), await fetchBundle(net.main.url, 'main'));
    writeFileSync(join(dir, 'north.bundle'), await fetchBundle(net.main.url, 'north'));
    const keys = ['--site-keys', `main=${join(dir, 'main-jwks.json')}`, '--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
    const bundles = ['--bundle', join(dir, 'main.bundle'), '--partner-bundle', join(dir, 'north.bundle'), '--period', period];
    const rec = await runCli(['paid', 'reconcile', ...bundles, ...keys, '--url', net.main.url, '--token', TEST_TOKEN, '--json']);
    assert.equal(rec.code, 0, rec.stderr + rec.stdout);
    assert.match(rec.stderr, /matches the main site's reconciliation \(version 1, reconciled\)/);

    // A royalty on what was charged: 10% of the discounted total, not of the list prices.
    const party = net.main.portal.invite({ email: 'fernhill@example.org', kind: 'supplier', displayName: 'Fernhill Press' }, 'test').party.id;
    const contract = await api(net.main.url, 'POST', '/admin/api/paid/supplier-contracts', {
      supplier: 'fernhill-press',
      party,
      effectiveFrom: period,
      currency: 'EUR',
      items: [{ item: 'trail-guide', basis: { type: 'royalty_per_delivery', bps: 1000 } }],
    });
    assert.equal(contract.status, 201, JSON.stringify(contract.body));
    const issued = await api(net.main.url, 'POST', '/admin/api/paid/supplier-statements', { supplier: 'fernhill-press', period });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    // South (keys asked directly, no statement) is held; north's line is 10% of what north's members were charged.
    const line = (issued.body.statement.lines as { partner: string; amount: number; status: string }[]).find((l) => l.partner === 'north');
    assert.deepEqual([line?.status, line?.amount], ['included', Math.round(charged / 10)]);
    const args = ['paid', 'statements', 'recompute', '--bundle', join(dir, 'main.bundle'), '--partner-bundle', join(dir, 'north.bundle'), '--supplier', 'fernhill-press', '--period', period, ...keys];
    const re = await runCli([...args, '--url', net.main.url, '--token', TEST_TOKEN, '--json']);
    assert.equal(re.code, 0, re.stderr + re.stdout);
    assert.match(re.stderr, /matches the issued statement/);
    assert.equal((JSON.parse(re.stdout) as { total: number }).total, issued.body.statement.total);
  });
});
