import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { adEntriesIn, adOn, closeAgent, startAdsPair, testAd, type AdsPair, until } from './helpers/ads-network.js';

/**
 * A shopper at a human pace: a page, then a pause longer than the idle return, so the site gives its
 * lease back between pages. Returns what each page showed.
 */
async function occasionalVisits(net: AdsPair, ad: string, visits: number): Promise<(string | null | undefined)[]> {
  const seen: (string | null | undefined)[] = [];
  for (let i = 0; i < visits; i++) {
    // Idle: the lease of the last page has gone back, and north has stopped asking for more (its measured
    // rate decays at each exchange), so for well over a second it has held nothing.
    let idleSince = Date.now();
    await until('north to hold no lease for 1.5 s', () => {
      if (net.ads.leases({ ad, site: 'north', state: 'open' }).length > 0) idleSince = Date.now();
      return Date.now() - idleSince >= 1500;
    });
    seen.push(await adOn(net.north.url, '/'));
  }
  return seen;
}

describe('ads: the occasional visitor', function () {
  this.timeout(90_000);
  after(closeAgent);

  describe('waiting for quota when the partner holds none', () => {
    let net: AdsPair;
    before(async () => {
      // The wait's bound is generous here so a slow machine cannot fail the test; the default is 250 ms.
      net = await startAdsPair({ adsIdleReturnMs: 300, adsStarvedWaitMs: 5000 });
      net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-slow'), paidCount: 50, price: { amount: 500, currency: 'EUR' } }, 'test');
      net.ads.pay({ payment: 'slow-1', ad: 'ad-slow', amount: 500, currency: 'EUR' }, 'operator', 'test');
      await until('north to know the ad', async () => (await adOn(net.north.url, '/')) === 'ad-slow');
    });
    after(async () => net.close());

    it('sees the ad on every page even though the partner holds no lease between pages, and each showing is counted once', async () => {
      const before = adEntriesIn(net.north.ctx.config.dbFile, 'ad-slow').length;
      const seen = await occasionalVisits(net, 'ad-slow', 4);
      assert.deepEqual(seen, ['ad-slow', 'ad-slow', 'ad-slow', 'ad-slow']);
      await until('the deliveries to be reported', () => net.ads.ad('ad-slow').delivered === before + 4);
      assert.equal(adEntriesIn(net.north.ctx.config.dbFile, 'ad-slow').length, before + 4, 'one `ad` entry per page that showed it');
    });

    it('still stops exactly at the paid count when every page has to ask for quota first', async () => {
      for (let i = 0; net.ads.ad('ad-slow').state !== 'suspended'; i++) {
        if (i > 400) throw new Error('never suspended');
        await Promise.all(Array.from({ length: 8 }, () => adOn(net.north.url, '/')));
      }
      await sleep(300);
      assert.equal(await adOn(net.north.url, '/'), null);
      const entries = [...adEntriesIn(net.main.ctx.config.dbFile, 'ad-slow'), ...adEntriesIn(net.north.ctx.config.dbFile, 'ad-slow')];
      assert.equal(entries.length, 50);
      assert.equal(net.ads.ad('ad-slow').delivered, 50);
    });
  });

  describe('with the wait turned off (TIEUP_ADS_STARVED_WAIT_MS=0)', () => {
    let net: AdsPair;
    before(async () => {
      net = await startAdsPair({ adsIdleReturnMs: 300, adsStarvedWaitMs: 0 });
      net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-nowait'), paidCount: 50, price: { amount: 500, currency: 'EUR' } }, 'test');
      net.ads.pay({ payment: 'nowait-1', ad: 'ad-nowait', amount: 500, currency: 'EUR' }, 'operator', 'test');
      await until('north to know the ad', async () => (await adOn(net.north.url, '/')) === 'ad-nowait');
    });
    after(async () => net.close());

    it('shows no ad on a page that finds no lease (what the wait is for)', async () => {
      const seen = await occasionalVisits(net, 'ad-nowait', 2);
      assert.deepEqual(seen, [null, null]);
    });
  });
});
