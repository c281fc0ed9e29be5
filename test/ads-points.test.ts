import assert from 'node:assert/strict';
import { request } from 'undici';
import { TEST_TOKEN } from './helpers/network.js';
import { Shopper } from './helpers/shopper.js';
import { ADS_POINTS } from '../common/protocol/index.js';
import { peerErrorCode } from '../common/s2s/client.js';
import { adEntriesIn, closeAgent, startAdsPair, testAd, type AdsPair } from './helpers/ads-network.js';

const linkOf = (html: string): string | undefined => /class="ad-open" rel="nofollow" href="(\/ads\/open\/[^"]+)"/.exec(html)?.[1];

describe('ads: viewing points from a signed single-use click link, once per ad per period, discounting paid content', function () {
  this.timeout(60_000);
  let net: AdsPair;
  before(async () => {
    net = await startAdsPair({ adsPointValueMinor: 3 });
    net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-pts', { points: 25 }), paidCount: 500, price: { amount: 100, currency: 'EUR' } }, 'test');
    net.ads.pay({ payment: 'pts-1', ad: 'ad-pts', amount: 100, currency: 'EUR' }, 'operator', 'test');
  });
  after(async () => {
    await net?.close();
    await closeAgent();
  });

  const pageWithAd = async (s: Shopper): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const r = await s.agent.get('/').set('accept', 'text/html');
      const link = linkOf(r.text);
      if (link) return link;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('no ad shown');
  };

  it('credits 25 points once, refuses the link a second time and forged links, and charges (100 - 25) x m once', async () => {
    const shopper = new Shopper(net.north.url);
    const reg = await shopper.register('pts@shopper.test', 'a long enough password');
    assert.ok(reg.status < 400, `registered (${reg.status})`);
    const link = await pageWithAd(shopper);
    // The creative never runs in our page: a sandboxed iframe, no script.
    const page = await shopper.agent.get('/').set('accept', 'text/html');
    if (page.text.includes('data-ad=')) {
      assert.match(page.text, /<iframe class="ad-creative" sandbox=""/);
      assert.doesNotMatch(page.text, /<script/i);
    }

    const first = await shopper.agent.get(link).set('accept', 'text/html');
    assert.equal(first.status, 200);
    assert.match(first.text, /data-credited="true"/);
    assert.match(first.text, /data-points="25"/);
    const reused = await shopper.agent.get(link).set('accept', 'text/html');
    assert.equal(reused.status, 410, 'a click link works once');
    // Back and forward land on it again: the details are shown, nothing is credited.
    assert.match(reused.text, /data-used="true"/);
    assert.match(reused.text, /You opened this link before; its points were counted then\./);
    assert.doesNotMatch(reused.text, /data-credited/);
    const second = await shopper.agent.get(await pageWithAd(shopper)).set('accept', 'text/html');
    assert.match(second.text, /data-credited="false"/, 'once per ad per period');
    assert.match(second.text, /data-balance="25"/);
    // North's account page shows the points the main site keeps for the shopper, as the main site's does.
    const northAccount = await shopper.agent.get('/account').set('accept', 'text/html');
    assert.match(northAccount.text, /<h2>Viewing points<\/h2><p>Balance: <strong data-points-balance="25">25<\/strong> points\.<\/p>/);
    assert.match(northAccount.text, /25 for <code>ad-pts<\/code>/);

    const forged = await shopper.agent.get('/ads/open/eyJhIjoiYWQtcHRzIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').set('accept', 'text/html');
    assert.equal(forged.status, 404);
    const fresh = await pageWithAd(shopper);
    const tampered = fresh.slice(0, -2) + (fresh.endsWith('A') ? 'BB' : 'AA');
    assert.equal((await shopper.agent.get(tampered).set('accept', 'text/html')).status, 404);

    // Verified from the main site's records: one ad_view entry in its log, naming a delivery of north's lease.
    const views = adEntriesIn(net.main.ctx.config.dbFile, 'ad-pts', 'ad_view');
    assert.equal(views.length, 1);
    const lease = views[0]!.split('/')[3]!;
    assert.equal(net.ads.store.lease(lease)?.site, 'north');

    const user = (net.ads.store.db.prepare('SELECT user_id FROM ad_points').get() as { user_id: string }).user_id;
    assert.throws(() => net.ads.creditView('main', { ad: 'ad-pts', lease, seq: 1, user }), /no such delivery/, 'another site cannot claim north’s delivery');

    const redeem = async (ref: string) => {
      const r = await request(`${net.main.url}/admin/api/ads/points/${user}/redeem`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ref, pricePoints: 100, reason: 'trail-guide' }),
      });
      return (await r.body.json()) as { charge: number; pointsUsed: number; balance: number; replayed: boolean };
    };
    const a = await redeem('key-0001');
    assert.deepEqual(a, { charge: (100 - 25) * 3, pointsUsed: 25, balance: 0, replayed: false });
    const again = await redeem('key-0001');
    assert.equal(again.charge, 225);
    assert.equal(again.replayed, true);
    const b = await redeem('key-0002');
    assert.equal(b.charge, 300, 'the points are spent once');
    assert.equal(b.pointsUsed, 0);

    // The shopper's account at the main site shows points earned and spent.
    const atMain = new Shopper(net.main.url);
    await atMain.login('pts@shopper.test', 'a long enough password');
    const account = await atMain.agent.get('/account').set('accept', 'text/html');
    assert.match(account.text, /data-points-balance="0"/);
    assert.match(account.text, /25 for <code>ad-pts<\/code>/);
    assert.match(account.text, /25 spent on trail-guide/);
  });

  it('ads.points answers a partner for a shopper of the main site and refuses an unknown one, changing nothing', async () => {
    const ask = (user: string) => net.north.ctx.client.send('main', ADS_POINTS, { user });
    await assert.rejects(ask('no-such-shopper'), (err: unknown) => peerErrorCode(err, ADS_POINTS) === 'user_unknown');
    const user = (net.ads.store.db.prepare('SELECT user_id FROM ad_points').get() as { user_id: string }).user_id;
    const before = net.ads.points(user).balance;
    const r = await ask(user);
    assert.equal(r.body.balance, before);
    assert.equal(net.ads.points(user).balance, before, 'reading spends nothing');
  });

  it('shows the details without crediting anyone to a visitor who is not logged in', async () => {
    const visitor = new Shopper(net.main.url);
    const link = await pageWithAd(visitor);
    const r = await visitor.agent.get(link).set('accept', 'text/html');
    assert.equal(r.status, 200);
    assert.match(r.text, /Log in and open/);
  });
});
