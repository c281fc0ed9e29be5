import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { countsModule, type CountService } from '../main-site/counts/index.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { TEST_TOKEN } from './helpers/network.js';
import { adEntriesIn, adOn, closeAgent, startAdsPair, testAd, type AdsPair } from './helpers/ads-network.js';

const AD = 'ad-counted';
const ON_NORTH = 3;
const ON_MAIN = 2;

describe('ads in delivery counts: served ads count as ad:<id> from the witnessed logs, and a rule on them fires', function () {
  this.timeout(60_000);
  let net: AdsPair;
  let counts: CountService;
  const consoleApi = (method: string, path: string, body: unknown) =>
    fetch(`${net.main.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    net = await startAdsPair({ countsPollMs: 100 });
    counts = net.main.use(countsModule);
    net.ads.create({ advertiser: net.advertiser, ad: testAd(AD), paidCount: 500, price: { amount: 100, currency: 'EUR' } }, 'test');
    net.ads.pay({ payment: 'counted-1', ad: AD, amount: 100, currency: 'EUR' }, 'operator', 'test');
  });
  after(async () => {
    await net?.close();
    await closeAgent();
  });

  /** GETs pages of a site until the ad has been shown `times` times (a page before the first lease shows none). */
  async function serve(url: string, times: number): Promise<void> {
    let shown = 0;
    for (let i = 0; i < 400 && shown < times; i++) {
      const ad = await adOn(url, '/');
      if (ad === AD) shown++;
      else await sleep(25);
    }
    assert.equal(shown, times);
  }

  it(`serving the ad ${ON_NORTH} times on a partner and ${ON_MAIN} on the main site counts ${ON_NORTH + ON_MAIN} for ad:${AD}; an "only ${ON_NORTH + ON_MAIN}" rule fires once`, async () => {
    const item = await consoleApi('PUT', '/counts/items', { key: `ad:${AD}`, title: 'Trail tents ad', supplier: net.advertiser });
    assert.equal(item.status, 200, await item.text());
    const rule = await consoleApi('POST', '/counts/rules', { item: `ad:${AD}`, mode: 'only', n: ON_NORTH + ON_MAIN, action: 'status_report' });
    assert.equal(rule.status, 201, await rule.text());

    await serve(net.north.url, ON_NORTH);
    await serve(net.main.url, ON_MAIN);
    // Exactly these deliveries are in the two logs, each named once.
    net.north.ctx.log.flush();
    net.main.ctx.log.flush();
    assert.equal(adEntriesIn(net.north.ctx.config.dbFile, AD).length, ON_NORTH);
    assert.equal(adEntriesIn(net.main.ctx.config.dbFile, AD).length, ON_MAIN);

    // North's entries count once the main site has witnessed them (a shipment), the main site's once checkpointed.
    assert.equal((await shipLog(net.north.ctx, net.north.ctx.logStore, 1000)).error, undefined);
    net.main.ctx.log.checkpoint();
    counts.catchUp(net.main.ctx.config.siteId);
    counts.dispatch();
    const countOf = () => counts.overview().find((o) => o.key === `ad:${AD}`)?.count;
    assert.equal(countOf(), ON_NORTH + ON_MAIN);
    assert.deepEqual(
      counts.store.events({ item: `ad:${AD}` }).map((e) => e.threshold),
      [ON_NORTH + ON_MAIN],
    );

    // Shipped and caught up again: nothing counts twice, nothing fires twice.
    assert.equal((await shipLog(net.north.ctx, net.north.ctx.logStore, 1000)).error, undefined);
    counts.catchUp();
    assert.equal(countOf(), ON_NORTH + ON_MAIN);
    assert.equal(counts.store.events({ item: `ad:${AD}` }).length, 1);
    // The status report goes to the advertiser, through the outbox.
    assert.equal(net.main.notices.inbox(net.advertiser).filter((x) => x.kind === 'count_status_report').length, 1);
  });
});
