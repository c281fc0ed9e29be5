import assert from 'node:assert/strict';
import supertest from 'supertest';
import { hashPassword } from '../common/web/password.js';
import { PartyStore } from '../main-site/portal/index.js';
import { closeAgent, startAdsPair, testAd, type AdsPair } from './helpers/ads-network.js';

const PASSWORD = 'a long party password';

describe('ads: the portal section shows an advertiser its own ads only', function () {
  this.timeout(60_000);
  let net: AdsPair;
  let other: string;
  before(async () => {
    net = await startAdsPair();
    other = net.main.portal.invite({ email: 'other@advertiser.test', kind: 'advertiser', displayName: 'Other Ads' }, 'test').party.id;
    const parties = new PartyStore(net.main.ctx.db);
    for (const id of [net.advertiser, other]) parties.activate(id, await hashPassword(PASSWORD), new Date().toISOString());
    net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-mine'), paidCount: 10, price: { amount: 100, currency: 'EUR' } }, 'test');
    net.ads.create({ advertiser: other, ad: testAd('ad-theirs'), paidCount: 10, price: { amount: 100, currency: 'EUR' } }, 'test');
  });
  after(async () => {
    await net?.close();
    await closeAgent();
  });

  const login = async (email: string) => {
    const agent = supertest.agent(net.main.url);
    const page = await agent.get('/portal/login').expect(200);
    await agent
      .post('/portal/login')
      .type('form')
      .send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!, email, password: PASSWORD })
      .expect(303);
    return agent;
  };

  it('lists only the party’s own ads with their payment request; another party’s ad answers 404 like one that does not exist', async () => {
    const a = await login('ads@advertiser.test');
    const list = await a.get('/portal/ads/').expect(200);
    assert.match(list.text, /data-ad="ad-mine" data-state="awaiting_payment"/);
    assert.doesNotMatch(list.text, /ad-theirs/);
    const mine = await a.get('/portal/ads/ad-mine').expect(200);
    assert.match(mine.text, /payment requested/);
    await a.get('/portal/ads/ad-theirs').expect(404);
    await a.get('/portal/ads/ad-nothing').expect(404);
    const b = await login('other@advertiser.test');
    assert.doesNotMatch((await b.get('/portal/ads/').expect(200)).text, /ad-mine/);
    await b.get('/portal/ads/ad-mine').expect(404);
  });
});
