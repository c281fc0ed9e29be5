import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { consoleLogin, csrfFromPage } from './helpers/console-login.js';
import { TEST_TOKEN } from './helpers/network.js';
import { adEntriesIn, adOn, closeAgent, startAdsPair, testAd, type AdsPair, until } from './helpers/ads-network.js';

async function hammer(urls: string[], perSite: number, stop: () => boolean): Promise<void> {
  await Promise.all(
    urls.flatMap((u) =>
      Array.from({ length: perSite }, async () => {
        while (!stop()) if ((await adOn(u)) === undefined) await sleep(20);
      }),
    ),
  );
}

const PRICE = { amount: 1200, currency: 'EUR' };
const notices = (net: AdsPair, kind: string, ad: string) => net.main.notices.list({ kind }).filter((n) => n.subject.includes(`Ad ${ad}`));
const api = async (net: AdsPair, method: 'GET' | 'POST', path: string, body?: unknown) => {
  const r = await request(`${net.main.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> & { error?: { code: string } } };
};

describe('ads: contract variants, payments and refusals', function () {
  this.timeout(120_000);
  let net: AdsPair;
  before(async () => {
    net = await startAdsPair({ adsPaymentSecret: 'webhook-secret-for-tests' });
  });
  after(async () => {
    await net?.close();
    await closeAgent();
  });

  it('grace: at the paid count the re-payment request goes out once and delivery goes on until the grace period ends, then stops; a late payment resumes it', async () => {
    const id = 'ad-grace';
    net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: 20, price: PRICE, variant: 'grace', graceSeconds: 3 }, 'test');
    net.ads.pay({ payment: 'grace-1', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    let done = false;
    const load = hammer(net.urls, 10, () => done);
    const g = await until('grace', () => (net.ads.ad(id).state === 'grace' ? net.ads.ad(id) : false));
    assert.ok(g.graceUntil);
    await until('deliveries beyond the paid count during grace', () => net.ads.ad(id).delivered > 20 && net.ads.ad(id).state === 'grace');
    await until('stopped at the end of grace', () => net.ads.ad(id).state === 'stopped', 20_000);
    // Reports of leases that were live until grace_until may still arrive; then nothing more.
    await sleep(1500);
    const after = net.ads.ad(id).delivered;
    await sleep(1000);
    done = true;
    await load;
    assert.equal(net.ads.ad(id).delivered, after, 'nothing delivered after the grace period');
    for (const l of net.ads.leases({ ad: id })) if (l.grantedAt >= g.updatedAt) assert.ok(l.expiresAt <= g.graceUntil, 'no lease granted in grace outlives it');
    const entries = adEntriesIn(net.main.ctx.config.dbFile, id).length + adEntriesIn(net.north.ctx.config.dbFile, id).length;
    assert.equal(entries, after, 'every delivery is one `ad` entry');
    for (const u of net.urls) assert.notEqual(await adOn(u), id);
    assert.equal(notices(net, 'ad_repayment_request', id).length, 1);
    net.ads.pay({ payment: 'grace-2', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    const a = net.ads.ad(id);
    assert.equal(a.state, 'active');
    assert.equal(a.cycleStart, after, 'the count starts again at the payment (grace deliveries are not billed to it)');
    assert.equal(a.paidTotal - a.cycleStart, 20);
    for (const u of net.urls) await until(`back on ${u}`, async () => (await adOn(u)) === id);
    net.ads.withdraw(id, 'test');
  });

  it('prepayment: paid before the count is reached, the ad does not stop; the one re-payment request comes at the extended count', async () => {
    const id = 'ad-prepaid';
    net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: 40, price: PRICE }, 'test');
    net.ads.pay({ payment: 'pre-1', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    let done = false;
    const load = hammer(net.urls, 10, () => done);
    await until('some delivered', () => net.ads.ad(id).delivered >= 10);
    const early = net.ads.pay({ payment: 'pre-2', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    assert.equal(early.ad.state, 'active');
    assert.equal(early.ad.paidTotal, 80);
    await until('suspended at 80', () => net.ads.ad(id).state === 'suspended');
    await sleep(800);
    done = true;
    await load;
    const a = net.ads.ad(id);
    assert.equal(a.delivered, 80);
    const kinds = net.ads.store.events(id).map((e) => e.kind);
    assert.equal(kinds.filter((k) => k === 'suspended').length, 1, 'never stopped at 40');
    assert.ok(kinds.includes('prepaid'));
    const rq = notices(net, 'ad_repayment_request', id);
    assert.equal(rq.length, 1);
    assert.equal((rq[0]!.data as { paidTotal: number }).paidTotal, 80);
    await net.mailbox.waitFor((m) => m.subject.startsWith('Re-payment request') && m.text.includes(id));
  });

  it('refuses bad ads and payments and changes nothing; a signed payment webhook pays once, a forged one is refused', async () => {
    const before = net.ads.list().length;
    let r = await api(net, 'POST', '/ads', { advertiser: net.advertiser, ad: { ...testAd('ad-bad'), creative: { kind: 'script', src: 'x' } }, paidCount: 10, price: PRICE });
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'invalid_request');
    r = await api(net, 'POST', '/ads', { advertiser: 'p-000000000000', ad: testAd('ad-bad'), paidCount: 10, price: PRICE });
    assert.equal(r.body.error?.code, 'advertiser_unknown');
    r = await api(net, 'POST', '/ads', { advertiser: net.advertiser, ad: testAd('ad-bad'), paidCount: 0, price: PRICE });
    assert.equal(r.status, 400);
    r = await api(net, 'POST', '/ads', { advertiser: net.advertiser, ad: testAd('ad-bad'), paidCount: 10, price: PRICE, extra: 1 });
    assert.equal(r.status, 400);
    assert.equal(net.ads.list().length, before);

    r = await api(net, 'POST', '/ads', { advertiser: net.advertiser, ad: testAd('ad-hook'), paidCount: 10, price: PRICE });
    assert.equal(r.status, 201);
    assert.equal((r.body.ad as { state: string }).state, 'awaiting_payment');
    r = await api(net, 'POST', '/ads/ad-hook/payments', { payment: 'op-1', amount: 1200, currency: 'USD' });
    assert.equal(r.body.error?.code, 'currency_mismatch');
    assert.equal(net.ads.ad('ad-hook').state, 'awaiting_payment');

    const hook = async (body: string, secret: string) => {
      const sig = createHmac('sha256', secret).update(body).digest('hex');
      const res = await request(`${net.main.url}/ads/payments`, { method: 'POST', headers: { 'content-type': 'application/json', 'tieup-payment-signature': `sha256=${sig}` }, body });
      return { status: res.statusCode, body: (await res.body.json()) as { error?: { code: string }; replayed?: boolean } };
    };
    const pay = JSON.stringify({ payment: 'bank-778', ad: 'ad-hook', amount: 1200, currency: 'EUR' });
    const forged = await hook(pay, 'not-the-secret');
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error?.code, 'bad_signature');
    assert.equal(net.ads.ad('ad-hook').state, 'awaiting_payment');
    const ok = await hook(pay, 'webhook-secret-for-tests');
    assert.equal(ok.status, 201);
    assert.equal(net.ads.ad('ad-hook').state, 'active');
    const again = await hook(pay, 'webhook-secret-for-tests');
    assert.equal(again.status, 200);
    assert.equal(again.body.replayed, true);
    assert.equal(net.ads.ad('ad-hook').paidTotal, 10, 'a replayed payment adds nothing');
    const conflict = await hook(JSON.stringify({ payment: 'bank-778', ad: 'ad-hook', amount: 1, currency: 'EUR' }), 'webhook-secret-for-tests');
    assert.equal(conflict.status, 409);
    assert.equal(notices(net, 'ad_payment_request', 'ad-hook').length, 1, 'one payment request, at commissioning');
    assert.equal(notices(net, 'ad_payment_received', 'ad-hook').length, 1, 'one confirmation for the one payment');
    net.ads.withdraw('ad-hook', 'test');
  });

  it('a site cannot report or close another site’s lease, and a stale exchange is refused', async () => {
    const id = 'ad-own';
    net.ads.create({ advertiser: net.advertiser, ad: testAd(id, { target: { sites: ['north'] } }), paidCount: 50, price: PRICE }, 'test');
    net.ads.pay({ payment: 'own-1', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    // A site asks for quota once it has demand: a page view at north.
    const lease = await until('north holds a lease', async () => (await adOn(net.north.url)) !== undefined && net.ads.leases({ ad: id, site: 'north', state: 'open' })[0]);
    // The main site's own holder is not targeted; "south" (any other id) names north's lease.
    const ans = net.ads.exchange('south', { seq: 1, reports: [{ lease: lease.id, used: lease.size, close: true }], wants: [{ ad: id, rate: 100 }], choices: [] });
    assert.deepEqual(ans.leases, [], 'an ad targeted at north is not leased to another site');
    assert.deepEqual(ans.ads, []);
    const l = net.ads.store.lease(lease.id)!;
    assert.equal(l.state === 'closed' && l.used === lease.size && l.site === 'north', false, 'north’s lease untouched by another site');
    assert.throws(() => net.ads.exchange('south', { seq: 1, reports: [], wants: [], choices: [] }), /older than one already answered/);
    net.ads.withdraw(id, 'test');
  });
  it('a newly paid count is shared among the sites serving lately: the first to ask cannot take it all before the others ask, and after the warm-up a lone asker takes the rest', async () => {
    const id = 'ad-warm';
    for (const site of ['wx', 'wy', 'wz']) net.ads.exchange(site, { seq: 1, reports: [], wants: [], choices: [] });
    net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: 90, price: PRICE }, 'test');
    net.ads.pay({ payment: 'warm-1', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    const want = [{ ad: id, rate: 1000 }];
    const first = net.ads.exchange('wx', { seq: 2, reports: [], wants: want, choices: [] }).leases;
    assert.equal(first.length, 1);
    // wx, wy and wz (and the pair's own sites) exchanged lately: at most a third of the 90 at a rate that would want them all.
    assert.ok(first[0]!.size <= 30, `the first lease is ${first[0]!.size} of 90`);
    const second = net.ads.exchange('wy', { seq: 2, reports: [], wants: want, choices: [] }).leases;
    assert.equal(second.length, 1, 'a site asking later in the warm-up still gets a share');
    // wy gives its lease back unused; once the warm-up is over (3 exchanges + 1 s), wx alone asks and may take all that is left.
    net.ads.exchange('wy', { seq: 3, reports: [{ lease: second[0]!.id, used: 0, close: true }], wants: [], choices: [] });
    await sleep(3 * 100 + 1000 + 200);
    const later = net.ads.exchange('wx', { seq: 3, reports: [{ lease: first[0]!.id, used: 0, close: false }], wants: want, choices: [] }).leases;
    assert.equal(later.length, 1);
    assert.equal(later[0]!.size, 90 - first[0]!.size, 'after the warm-up the only site asking gets the rest');
    net.ads.withdraw(id, 'test');
  });
  it('a site that asked while the rest was leased elsewhere gets its share when quota comes back: the holder cannot take it all again', async () => {
    const id = 'ad-starve';
    net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: 30, price: PRICE }, 'test');
    net.ads.pay({ payment: 'starve-1', ad: id, amount: 1200, currency: 'EUR' }, 'operator', 'test');
    const want = [{ ad: id, rate: 1000 }];
    const a1 = net.ads.exchange('sx', { seq: 1, reports: [], wants: want, choices: [] }).leases[0]!;
    await sleep(3 * 100 + 1000 + 200); // past the warm-up: sx alone asks, so it takes the rest
    const a2 = net.ads.exchange('sx', { seq: 2, reports: [{ lease: a1.id, used: 0, close: false }], wants: want, choices: [] }).leases[0]!;
    assert.equal(a1.size + a2.size, 30, 'sx holds all 30');
    assert.deepEqual(net.ads.exchange('sy', { seq: 1, reports: [], wants: want, choices: [] }).leases, [], 'nothing left for sy now');
    // sx gives everything back unused and asks again at once: sy asked a moment ago, so sx gets half.
    const back = net.ads.exchange('sx', { seq: 3, reports: [a1, a2].map((l) => ({ lease: l.id, used: 0, close: true })), wants: want, choices: [] }).leases;
    assert.equal(back[0]!.size, 15, 'shared with the site that asked while it was all leased');
    // sy's share of what is left: ceil(15 / 2 sites wanting); the rest at its next ask.
    assert.equal(net.ads.exchange('sy', { seq: 2, reports: [], wants: want, choices: [] }).leases[0]!.size, 8);
    net.ads.withdraw(id, 'test');
  });

  it('the console records a payment typed as money ("12.00"), refuses an amount it cannot read exactly, and changes nothing then', async () => {
    const id = 'ad-form';
    net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: 10, price: PRICE }, 'test');
    const op = await consoleLogin(net.main.url, '/admin', 'operator');
    const page = await op.get(`/admin/ads/${id}`).expect(200);
    assert.match(page.text, /name="amount"[^>]*value="12\.00"/, 'the price is offered as 12.00, not 1200');
    const pay = (amount: string) =>
      op
        .post(`/admin/ads/${id}/pay`)
        .type('form')
        .send({ _csrf: csrfFromPage(page.text), payment: 'form-0001', amount, currency: 'EUR', count: '10' });
    for (const bad of ['12.345', '12,3,4', '-5', 'twelve', '', '0.00', '0']) {
      const r = await pay(bad);
      assert.equal(r.status, 400, bad);
      assert.equal(net.ads.store.payments(id).length, 0, `nothing recorded for "${bad}"`);
    }
    const refused = (await pay('12.345')).text;
    assert.match(refused, /Amount: a number with at most 2 decimals, like 12\.50/);
    // What was typed stays in the form, to be corrected rather than typed again.
    assert.match(refused, /name="payment"[^>]*value="form-0001"/);
    assert.match(refused, /name="amount"[^>]*value="12\.345"/);
    assert.match((await pay('0.00')).text, /Amount: more than 0/);
    const badCount = await op
      .post(`/admin/ads/${id}/pay`)
      .type('form')
      .send({ _csrf: csrfFromPage(page.text), payment: 'form-0001', amount: '12.00', currency: 'EUR', count: '-5' });
    assert.equal(badCount.status, 400);
    assert.match(badCount.text, /Deliveries: a whole number of at least 1/);
    assert.equal(net.ads.store.payments(id).length, 0);
    // The API refuses a zero payment too.
    const zero = await api(net, 'POST', `/ads/${id}/payments`, { payment: 'api-zero-1', amount: 0, currency: 'EUR' });
    assert.equal(zero.status, 400);
    assert.match(JSON.stringify(zero.body), /a payment is more than 0/);
    const ok = await pay('12.00');
    assert.equal(ok.status, 200);
    assert.match(ok.text, /Payment form-0001 recorded/);
    assert.deepEqual(
      net.ads.store.payments(id).map((p) => [p.amount, p.currency]),
      [[1200, 'EUR']],
    );
    net.ads.withdraw(id, 'test');
  });
});
