import assert from 'node:assert/strict';
import type { EntryFields } from '../common/logchain/entry.js';
import { parseFeeContract } from '../common/fees/contract.js';
import { computeStatement } from '../common/fees/engine.js';
import { usageFromBundle } from '../common/fees/usage-from-bundle.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { fakeView, fetchBundle } from './helpers/log-bundle.js';
import { Shopper } from './helpers/shopper.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

const TERMS = {
  baseFee: { link: 2000, template: 5000, content: 10000 },
  // 10% off from a 20% original share, 25% off from 30%.
  contributionDiscount: [
    { minOriginalShareBps: 2000, discountBps: 1000 },
    { minOriginalShareBps: 3000, discountBps: 2500 },
  ],
};
const CONTRACT = { currency: 'EUR', timeZone: 'UTC', versions: [{ effectiveFrom: '2026-01-01', terms: TERMS }] };

type Line = { code: string; amount: number; inputs: Record<string, unknown> };

describe('fees count what the contract means: only successful views of tie-up and original pages are page accesses', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const north = () => net.partners.north!;

  before(async () => {
    net = await startSyncNetwork([{ id: 'north', originals: { 'local-news.md': '---\ntitle: Local news\n---\n# Local news\n\nThe harbour festival.\n' } }]);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'kinds' })).status, 201);
    await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
  });
  after(() => net.close());

  it('the partner logs shop pages as kind shop, and errors and assets as what they are', async () => {
    const s = new Shopper(north().url);
    const from = north().ctx.log.size + north().ctx.log.pendingCount;
    const page = await s.agent.get('/local-news').expect(200);
    await s.agent.get('/local-news').set('If-None-Match', String(page.headers.etag)).expect(304);
    await s.agent.get('/cart').expect(200);
    assert.equal((await s.register('kinds@example.org', 'a long enough passphrase')).status, 303);
    await s.agent.get('/checkout?group=central').expect(404);
    await s.agent.get('/orders/NORTH-999999').expect(404);
    await s.agent.get('/no-such-page').set('Accept', 'text/html').expect(404);
    // The site's icon is served, and never an access-log entry.
    await s.agent.get('/favicon.ico').expect(200);
    await s.agent.get('/assets/brand.css').expect(200);
    north().ctx.log.flush();
    const entries = north()
      .ctx.logStore.lines(from, north().ctx.log.size)
      .map((l) => JSON.parse(l) as EntryFields)
      .filter((e) => e.type === 'page')
      .map((e) => [e.path, e.kind, e.status]);
    assert.deepEqual(entries, [
      ['/local-news', 'original', 200],
      ['/local-news', 'original', 304],
      ['/cart', 'shop', 200],
      ['/checkout', 'shop', 404],
      ['/orders/NORTH-999999', 'shop', 404],
      ['/no-such-page', 'none', 404],
      ['/assets/brand.css', 'asset', 200],
    ]);
  });

  it('a bundle with every kind: the statement (at the main site and recomputed from the bundle alone) counts only the successful page views', async () => {
    const at = (sec: number, f: Partial<EntryFields>): EntryFields => ({ ...fakeView('north', 0), time: `2026-10-10T10:00:${String(sec).padStart(2, '0')}.000Z`, ...f });
    const entries: Partial<EntryFields>[] = [
      // Page views: 12 tie-up; 3 original (two 200s and a 304 revalidation). 3 of 15 = 20%: the 10% tier.
      ...Array.from({ length: 12 }, () => ({ kind: 'tie-up' as const, path: '/about' })),
      { kind: 'original', path: '/local-news' },
      { kind: 'original', path: '/local-events' },
      { kind: 'original', path: '/local-news', status: 304, bytes: 0 },
      // Shop pages as logs before this rule wrote them (kind original), and as they are written now.
      { kind: 'original', path: '/cart' },
      { kind: 'original', path: '/checkout' },
      { kind: 'original', path: '/orders/NORTH-000001' },
      { kind: 'shop', path: '/cart' },
      // Errors, whatever their kind: a shop page, original and tie-up pages, the favicon.
      { kind: 'shop', path: '/checkout', status: 400 },
      { kind: 'original', path: '/missing', status: 404 },
      { kind: 'original', path: '/boom', status: 500 },
      { kind: 'tie-up', path: '/gone', status: 404 },
      { kind: 'none', path: '/favicon.ico', status: 404 },
      // An asset and a redirect.
      { kind: 'asset', path: '/assets/brand.css' },
      { kind: 'original', path: '/old-news', status: 302, bytes: 0 },
    ];
    entries.forEach((f, i) => north().ctx.log.append(at(i, f)));
    north().ctx.log.flush();
    assert.equal((await shipLog(north().ctx, north().ctx.logStore)).error, undefined);
    assert.equal((await api(net.main.url, 'PUT', '/admin/api/partners/north/fee-contract', CONTRACT)).status, 200);

    const stored = (await api(net.main.url, 'GET', '/admin/api/fees/statements/north/2026-10')).body;
    assert.deepEqual(stored.usage.pageAccesses, { tieUp: 12, original: 3 });
    assert.deepEqual(stored.usage.otherAccesses, { shopActions: 4, errors: 5, assets: 1, other: 1 });
    assert.deepEqual(stored.usage.content, { tieUpPages: 1, originalPages: 2, tieUpBytes: 1000, originalBytes: 2000 }, 'shop pages are not content');
    assert.equal(stored.accessCounting, 'page-views');
    const discount = (s: { lines: Line[] }) => s.lines.find((l) => l.code === 'discount.contribution')!;
    assert.equal(discount(stored).amount, -1000, '10% of the base fee: 3 original views of 15');
    assert.equal(discount(stored).inputs.shopActionsNotCounted, 4);

    // The same from the bundle alone, up to the checkpoint the statement rests on.
    const bundle = await fetchBundle(net.main.url, 'north');
    const contract = parseFeeContract({ ...CONTRACT, partner: 'north' });
    const usage = usageFromBundle(bundle, '2026-10', 'UTC', stored.checkpoint.size);
    assert.deepEqual(usage.pageAccesses, stored.usage.pageAccesses);
    assert.deepEqual(usage.otherAccesses, stored.usage.otherAccesses);
    assert.deepEqual(usage.content, stored.usage.content);
    const mine = computeStatement(contract, usage, 'content');
    assert.deepEqual(
      mine.lines.map((l) => [l.code, l.amount]),
      stored.lines.map((l: Line) => [l.code, l.amount]),
    );

    // A contract that says so explicitly counts every answer below 400 of a page, shop pages included (the old rule):
    // 8 original of 20 = 40%, the 25% tier. Statements closed before the rule are recomputed this way.
    const allAnswers = computeStatement(
      parseFeeContract({ ...CONTRACT, partner: 'north', versions: [{ effectiveFrom: '2026-01-01', terms: { ...TERMS, accessCounting: 'all-answers' } }] }),
      usage,
      'content',
    );
    assert.equal(allAnswers.accessCounting, 'all-answers');
    assert.equal(discount(allAnswers).amount, -2500);
    assert.deepEqual(computeStatement(contract, usage, 'content', { accessCounting: 'all-answers' }).lines, allAnswers.lines);
  });
});
