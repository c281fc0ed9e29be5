import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { adEntriesIn, adOn, closeAgent, startAdsNetwork, testAd, type AdsNetwork, until } from './helpers/ads-network.js';

/** Keeps `perSite` requests in flight on every site until `stop()` holds; counts the pages that showed `ad`, per site. */
async function hammer(urls: string[], perSite: number, ad: string, stop: () => boolean): Promise<number[]> {
  const seen = urls.map(() => 0);
  await Promise.all(
    urls.flatMap((u, i) =>
      Array.from({ length: perSite }, async () => {
        while (!stop()) {
          const got = await adOn(u, '/');
          if (got === ad) seen[i]! += 1;
          if (got === undefined) await sleep(20);
        }
      }),
    ),
  );
  return seen;
}

const repayMails = (net: AdsNetwork, ad: string) => net.mailbox.messages.filter((m) => m.subject.startsWith('Re-payment request') && m.text.includes(ad));
const repayNotices = (net: AdsNetwork, ad: string) => net.main.notices.list({ kind: 'ad_repayment_request' }).filter((n) => n.subject.includes(`Ad ${ad}`));

describe('ads: an ad stops exactly at its paid count on every site, under concurrency and a killed partner', function () {
  this.timeout(180_000);
  let net: AdsNetwork;
  before(async () => {
    net = await startAdsNetwork();
  });
  after(async () => {
    await net?.close();
    await closeAgent();
  });

  it('delivers an ad paid for 1,000 exactly 1,000 times across main, north and south (south SIGKILLed holding a lease), sends one re-payment request, resumes on payment, and sends the second at the next 1,000', async () => {
    const id = 'ad-cap';
    const created = net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: 1000, price: { amount: 50000, currency: 'JPY' } }, 'test');
    assert.equal(created.state, 'awaiting_payment');
    await net.mailbox.waitFor((m) => m.subject.startsWith('Payment request') && m.text.includes(id));
    // Not paid yet: no site shows it.
    for (const u of net.urls) assert.equal(await adOn(u), null);

    net.ads.pay({ payment: 'pay-1', ad: id, amount: 50000, currency: 'JPY' }, 'operator', 'test');
    await until('the ad on every site', async () => (await Promise.all(net.urls.map((u) => adOn(u)))).every((a) => a === id));

    // Hundreds in flight (100 per site); kill south once it holds a lease with deliveries served from it.
    let done = false;
    let killedWith: { used: number; size: number } | undefined;
    const load = hammer(net.urls, 100, id, () => done);
    const killer = (async () => {
      const lease = await until('south holding a lease it served from', () => net.ads.leases({ ad: id, site: 'south', state: 'open' }).find((l) => l.used > 0 && l.used < l.size) ?? false);
      await net.south.kill();
      killedWith = { used: lease.used, size: lease.size };
      await sleep(300);
      await net.south.start();
    })();
    await until('the ad suspended at its paid count', () => net.ads.ad(id).state === 'suspended', 120_000);
    await killer;
    // Keep asking a while after the stop: nothing more may be delivered anywhere.
    await sleep(1500);
    done = true;
    await load;
    assert.ok(killedWith, 'south was killed while holding a lease');

    const a = net.ads.ad(id);
    assert.equal(a.delivered, 1000, 'the main site counted exactly the paid count');
    assert.equal(a.reserved, 1000);
    const paths = [...adEntriesIn(net.main.ctx.config.dbFile, id), ...adEntriesIn(net.north.ctx.config.dbFile, id), ...adEntriesIn(net.south.dbFile, id)];
    assert.equal(paths.length, 1000, 'exactly 1,000 `ad` entries in the three logs');
    assert.equal(new Set(paths).size, 1000, 'each delivery named once (lease, position)');
    for (const l of net.ads.leases({ ad: id })) assert.ok(l.used <= l.size);
    assert.ok(
      net.ads.leases({ ad: id }).some((l) => l.site === 'south' && l.used > 0),
      'south delivered some',
    );
    assert.equal(repayNotices(net, id).length, 1, 'exactly one re-payment request');
    await net.mailbox.waitFor((m) => m.subject.startsWith('Re-payment request') && m.text.includes(id));
    for (const u of net.urls) assert.equal(await adOn(u), null, `${u} no longer shows the ad`);

    // Payment resumes it on every site (a generous deadline, no timing asserted).
    net.ads.pay({ payment: 'pay-2', ad: id, amount: 50000, currency: 'JPY' }, 'operator', 'test');
    assert.equal(net.ads.ad(id).state, 'active');
    for (const u of net.urls) await until(`the ad back on ${u}`, async () => (await adOn(u)) === id);

    done = false;
    const load2 = hammer(net.urls, 60, id, () => done);
    await until('the second suspension', () => net.ads.ad(id).state === 'suspended', 120_000);
    await sleep(1000);
    done = true;
    await load2;
    const b = net.ads.ad(id);
    assert.equal(b.delivered, 2000);
    assert.equal(b.delivered - b.cycleStart, 1000, 'the count restarted at the payment');
    const all = [...adEntriesIn(net.main.ctx.config.dbFile, id), ...adEntriesIn(net.north.ctx.config.dbFile, id), ...adEntriesIn(net.south.dbFile, id)];
    assert.equal(all.length, 2000);
    assert.equal(repayNotices(net, id).length, 2, 'the second re-payment request, and only it');
    await until('two re-payment e-mails', () => repayMails(net, id).length === 2);
  });
});
