import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { parse } from 'csv-parse/sync';
import { TEST_PASSWORD } from './helpers/network.js';
import { startMailbox, type Mailbox, type ReceivedMail } from '../cli/demo-mailbox.js';
import { SHOPPER_ORDERS_REPORT } from '../common/protocol/index.js';
import { shopperOrdersModule as partnerOrdersModule } from '../partner-site/shopper-orders/index.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper, orderNumberOf } from './helpers/shopper.js';

const PASSWORD = 'a long enough passphrase';
type Agent = ReturnType<typeof supertest.agent>;
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
const unescape = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&#34;/g, '"')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

async function consoleLogin(url: string, base: string, username: string): Promise<Agent> {
  const agent = supertest.agent(url);
  const page = await agent.get(`${base}/login`).expect(200);
  await agent
    .post(`${base}/login`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), username, password: TEST_PASSWORD })
    .expect(303);
  return agent;
}
/** South as in the demo: kitchen goods from its own stock, shelter consulted (3.00 EUR fee), the rest entrusted to the main site. */
const SOUTH_SHOP = {
  handling: {
    default: 'entrust',
    rules: [
      { category: 'kitchen', mode: 'local' },
      { category: 'shelter', mode: 'consult' },
    ],
  },
  consult: { checkStock: false, warehouse: 'central', handlingFee: 300 },
};

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('shopper orders: an e-mail at each state of every order, once each, and one order list per account', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let mb: Mailbox;
  const south = () => net.partners.south!;
  const to = (email: string) => (m: ReceivedMail) => m.to.includes(email);
  const mailsFor = (email: string, subject: string) => mb.messages.filter((m) => to(email)(m) && m.subject === subject);
  /** Waits for exactly one e-mail with this subject to this address, and makes sure no second copy follows once the outbox is idle. */
  const onlyMail = async (email: string, subject: string): Promise<ReceivedMail> => {
    const m = await mb.waitFor((x) => to(email)(x) && x.subject === subject);
    await net.main.notices.kick();
    assert.equal(mailsFor(email, subject).length, 1, `one e-mail "${subject}"`);
    return m;
  };

  before(async () => {
    mb = await startMailbox();
    net = await startSyncNetwork([{ id: 'south', contract: { shop: SOUTH_SHOP } }], {
      smtpHost: '127.0.0.1',
      smtpPort: mb.port,
      mailFrom: 'Tieup <notices@main.test>',
      noticeRetryBaseMs: 30,
      noticeRetryMaxMs: 200,
      noticePollMs: 20,
    });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'active');
    await south().shop.refreshFromMain();
    await api(south().url, 'PUT', '/manage/api/stock/mug-ti', { onHand: 10 });
  });
  after(async () => {
    await net.close();
    await mb.close();
  });

  it('a local order on a partner: placed, ready for pickup, delivered, each e-mailed once from the main site to the account’s address', async () => {
    const s = new Shopper(south().url);
    await s.register('pickup@example.org', PASSWORD, 'Pia Pickup');
    await s.add('mug-ti');
    const number = orderNumberOf(await s.placeOrder('shop', 'pickup'));
    assert.match(number, /^SOUTH-/);
    const placed = await onlyMail('pickup@example.org', `Order ${number} placed`);
    assert.match(placed.text, /Hello Pia Pickup/);
    assert.match(placed.text, /1 x Titanium mug/);
    assert.match(placed.text, /Total +24\.50 EUR/);
    assert.match(placed.text, /e-mail you again when it is ready for pickup/);

    assert.equal((await api(south().url, 'POST', `/manage/api/orders/${number}/state`, { state: 'shipped' })).status, 200);
    const ready = await onlyMail('pickup@example.org', `Order ${number} is ready for pickup`);
    assert.match(ready.text, /pick it up and pay at south/);
    assert.equal((await api(south().url, 'POST', `/manage/api/orders/${number}/state`, { state: 'delivered' })).status, 200);
    await onlyMail('pickup@example.org', `Order ${number} delivered`);
    assert.equal(mb.messages.filter(to('pickup@example.org')).length, 3, 'three states, three e-mails');
  });

  it('a consulted order shipped with its tracking reference, and a cancelled one with its reason', async () => {
    const s = new Shopper(south().url);
    await s.register('tarp@example.org', PASSWORD, 'Tom Tarp');
    await s.add('tarp-3x3');
    const shipped = orderNumberOf(await s.placeOrder('consult'));
    const placed = await onlyMail('tarp@example.org', `Order ${shipped} placed`);
    assert.match(placed.text, /Handling fee +3\.00 EUR/, 'the fee the shopper was shown is in the e-mail');
    assert.match(placed.text, /Total +72\.00 EUR/);
    const moved = await api(south().url, 'POST', `/manage/api/orders/${shipped}/state`, { state: 'shipped', tracking: 'DHL 00340434161234567890' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const mail = await onlyMail('tarp@example.org', `Order ${shipped} shipped`);
    assert.match(mail.text, /Tracking reference: DHL 00340434161234567890/);

    await s.add('tarp-3x3');
    const cancelled = orderNumberOf(await s.placeOrder('consult'));
    await onlyMail('tarp@example.org', `Order ${cancelled} placed`);
    assert.equal((await api(south().url, 'POST', `/manage/api/orders/${cancelled}/state`, { state: 'cancelled', reason: 'the tarp was damaged in our shop' })).status, 200);
    const c = await onlyMail('tarp@example.org', `Order ${cancelled} cancelled`);
    assert.match(c.text, /was cancelled: the tarp was damaged in our shop/);
  });

  it('an entrusted order is e-mailed by the main site as it moves there; an order of the main site’s own shop too', async () => {
    const s = new Shopper(south().url);
    await s.register('central@example.org', PASSWORD, 'Cora Central');
    await s.add('bag-down');
    const southNumber = orderNumberOf(await s.placeOrder('central', 'bank_transfer'));
    const mainNumber = south().shop.store.byNumber(southNumber)!.mainNumber!;
    assert.match(mainNumber, /^M-/);
    const placed = await onlyMail('central@example.org', `Order ${mainNumber} placed`);
    assert.match(placed.text, /at south, sent by main/);
    assert.match(placed.text, new RegExp(`transfer 149\\.00 EUR with the reference ${mainNumber}`));
    const shipped = await api(net.main.url, 'POST', `/admin/api/orders/${mainNumber}/state`, { state: 'shipped', tracking: 'UPS 1Z999' });
    assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
    assert.match((await onlyMail('central@example.org', `Order ${mainNumber} shipped`)).text, /Tracking reference: UPS 1Z999/);
    // South's own record of it says nothing to the shopper twice: the report only links the numbers.
    assert.equal(mailsFor('central@example.org', `Order ${southNumber} placed`).length, 0);

    const m = new Shopper(net.main.url);
    assert.equal((await m.login('central@example.org', PASSWORD)).status, 303);
    await m.add('stove-gas');
    const direct = orderNumberOf(await m.placeOrder('main'));
    await onlyMail('central@example.org', `Order ${direct} placed`);
    const cancelled = await api(net.main.url, 'POST', `/admin/api/orders/${direct}/state`, { state: 'cancelled', reason: 'out of gas cartridges' });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.match((await onlyMail('central@example.org', `Order ${direct} cancelled`)).text, /out of gas cartridges/);
  });

  it('a state reported again (a retry after a lost answer) sends nothing more', async () => {
    const s = new Shopper(south().url);
    await s.register('twice@example.org', PASSWORD);
    await s.add('mug-ti');
    const number = orderNumberOf(await s.placeOrder('shop'));
    await onlyMail('twice@example.org', `Order ${number} placed`);
    const reporter = south().use(partnerOrdersModule);
    await until('the report acknowledged', () => reporter.store.pending() === 0);
    const order = south().shop.store.byNumber(number)!;
    const event = {
      id: order.id,
      number,
      mode: 'local' as const,
      state: 'accepted' as const,
      userId: order.userId,
      lines: order.lines.map((l) => ({ productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice })),
      handlingFee: 0,
      total: order.total,
      currency: order.currency,
      settlement: order.settlement,
      mainNumber: null,
      tracking: null,
      reason: null,
      createdAt: order.createdAt,
      at: order.createdAt,
    };
    reporter.store.queue(event);
    await reporter.flush();
    assert.equal(reporter.store.pending(), 0, 'acknowledged again');
    await net.main.notices.kick();
    await sleep(200);
    assert.equal(mailsFor('twice@example.org', `Order ${number} placed`).length, 1);
  });

  it('a state the main site cannot take now waits in the partner’s outbox and is e-mailed once when it can', async () => {
    const s = new Shopper(south().url);
    await s.register('later@example.org', PASSWORD);
    const reporter = south().use(partnerOrdersModule);
    // The main site cuts south off: its reports are refused like any call of a suspended partner.
    net.main.ctx.peers.setStatus('south', 'suspended');
    try {
      await s.add('mug-ti');
      const number = orderNumberOf(await s.placeOrder('shop'));
      await reporter.flush();
      assert.equal(reporter.store.pending(), 1, 'the placed state waits, stored with the order');
      await net.main.notices.kick();
      assert.equal(mailsFor('later@example.org', `Order ${number} placed`).length, 0);
      net.main.ctx.peers.setStatus('south', 'active');
      await reporter.flush();
      assert.equal(reporter.store.pending(), 0);
      await onlyMail('later@example.org', `Order ${number} placed`);
    } finally {
      net.main.ctx.peers.setStatus('south', 'active');
    }
  });

  it('refuses what is not a move: a tracking reference on another state, a reason on shipping, an over-long or multi-line note; nothing changes', async () => {
    const s = new Shopper(south().url);
    await s.register('refusals@example.org', PASSWORD);
    await s.add('tarp-3x3');
    const number = orderNumberOf(await s.placeOrder('consult'));
    for (const body of [
      { state: 'delivered', tracking: 'X1' },
      { state: 'shipped', reason: 'why not' },
      { state: 'shipped', tracking: 'x'.repeat(201) },
      { state: 'shipped', tracking: 'line one\nline two' },
      { state: 'shipped', tracking: 42 },
    ]) {
      const r = await api(south().url, 'POST', `/manage/api/orders/${number}/state`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_move_detail');
    }
    assert.equal(south().shop.store.byNumber(number)!.state, 'accepted');
    const main = await api(net.main.url, 'POST', '/admin/api/orders/M-000001/state', { state: 'delivered', tracking: 'X' });
    assert.equal(main.status, 400);
    assert.equal(main.body.error.code, 'invalid_move_detail');
  });

  it('a report is about the reporting partner’s own orders of real accounts: an unknown account is refused and mails nothing', async () => {
    const r = await south().ctx.client.send(net.main.ctx.config.siteId, SHOPPER_ORDERS_REPORT, {
      events: [
        {
          id: 'forged-1',
          number: 'SOUTH-999999',
          mode: 'local',
          state: 'accepted',
          userId: 'no-such-account',
          lines: [{ productId: 'mug-ti', name: 'Titanium mug', qty: 1, unitPrice: 2450 }],
          handlingFee: 0,
          total: 2450,
          currency: 'EUR',
          settlement: 'pay_on_delivery',
          mainNumber: null,
          tracking: null,
          reason: null,
          createdAt: new Date().toISOString(),
          at: new Date().toISOString(),
        },
      ],
    });
    assert.deepEqual(r.body.recorded, []);
    assert.equal(r.body.refused[0]!.id, 'forged-1');
    await net.main.notices.kick();
    assert.equal(
      mb.messages.some((m) => m.subject.includes('SOUTH-999999')),
      false,
    );
  });

  it('one account, one order list: each site lists the shopper’s orders on every other site, where each was placed and who ships it, numbers linked', async () => {
    const s = new Shopper(south().url);
    assert.equal((await s.login('central@example.org', PASSWORD)).status, 303);
    const southAccount = (await s.agent.get('/account').expect(200)).text;
    const network = southAccount.slice(southAccount.indexOf('Your orders on other sites'));
    assert.match(network, /<td>M-\d{6}<\/td><td>main<\/td><td>main<\/td>/, 'the order placed at the main site, shipped by it');
    assert.doesNotMatch(network, /SOUTH-/, 'south’s own orders are in its own list above, not twice');

    const m = new Shopper(net.main.url);
    assert.equal((await m.login('central@example.org', PASSWORD)).status, 303);
    const mainAccount = (await m.agent.get('/account').expect(200)).text;
    const mainNetwork = mainAccount.slice(mainAccount.indexOf('Your orders on other sites'));
    assert.match(mainNetwork, /<td>M-\d{6} <span class="hint">\(SOUTH-\d{6}\)<\/span><\/td><td>south<\/td><td>main<\/td>/, 'the entrusted order: placed at south, shipped by main, both numbers');

    const t = new Shopper(net.main.url);
    assert.equal((await t.login('tarp@example.org', PASSWORD)).status, 303);
    const tarpAccount = (await t.agent.get('/account').expect(200)).text;
    assert.match(tarpAccount, /No orders yet on this site/);
    assert.match(tarpAccount, /<td>SOUTH-\d{6}<\/td><td>south<\/td><td>south<\/td>.*shipped/s, 'a consulted order south processes itself, with its state');
    assert.match(tarpAccount, /cancelled/);
  });

  it('the operator fulfils an entrusted order from its page: lines, address, payment, both numbers linked, timeline, ship with tracking, cancel only after confirming', async () => {
    const s = new Shopper(south().url);
    await s.register('detail@example.org', PASSWORD, 'Dee Detail');
    await s.add('mat-foam', 2);
    const southNumber = orderNumberOf(await s.placeOrder('central'));
    const mainNumber = south().shop.store.byNumber(southNumber)!.mainNumber!;
    const reporter = south().use(partnerOrdersModule);
    await until('south reported its number', () => reporter.store.pending() === 0);

    const admin = await consoleLogin(net.main.url, '/admin', 'operator');
    const list = (await admin.get('/admin/orders').expect(200)).text;
    assert.ok(list.includes(`href="/admin/orders/${mainNumber}"`), 'the list links each order to its page');
    let page = (await admin.get(`/admin/orders/${mainNumber}`).expect(200)).text;
    assert.match(page, /2<\/td><td class="num">29\.90 EUR<\/td><td class="num">59\.80 EUR/, 'the line: quantity, unit price, amount');
    assert.match(page, /1 Harbour Road<br>12345 Porthaven/, 'the delivery address');
    assert.match(page, /Pay on delivery/);
    const southConsole = `${south().url.replace(/\/$/, '')}/manage/orders#order-${southNumber}`;
    assert.ok(page.includes(`<a href="${southConsole}" id="partner-order">${southNumber}</a>`), 'the partner’s number, linked to its console');
    const manager = await consoleLogin(south().url, '/manage', 'manager');
    const southList = (await manager.get('/manage/orders').expect(200)).text;
    assert.ok(southList.includes(`id="order-${southNumber}"`), 'the partner’s row is where the link points');
    assert.ok(southList.includes(`href="${net.main.url.replace(/\/$/, '')}/admin/orders/${mainNumber}"`), 'and it links back to the main site’s order page');
    assert.match(page, /<strong>placed<\/strong> <span class="muted">by south<\/span>/, 'the timeline starts with the order');

    // Ship with a tracking reference: back on the order's page, the timeline has it, the shopper's e-mail too.
    const shipped = await admin
      .post(`/admin/orders/${mainNumber}/state`)
      .type('form')
      .send({ _csrf: csrfFrom(page), state: 'shipped', from: 'detail', tracking: 'GLS 7788' });
    assert.equal(shipped.status, 303);
    assert.match(String(shipped.headers.location), new RegExp(`^/admin/orders/${mainNumber}\\?`));
    page = (await admin.get(String(shipped.headers.location)).expect(200)).text;
    assert.match(page, /Order M-\d+ is now shipped/);
    assert.match(page, /<strong>shipped<\/strong> <span class="muted">by operator<\/span>: tracking reference GLS 7788/);
    assert.match((await onlyMail('detail@example.org', `Order ${mainNumber} shipped`)).text, /Tracking reference: GLS 7788/);

    // A bad note is refused in place, nothing moves.
    const bad = await admin
      .post(`/admin/orders/${mainNumber}/state`)
      .type('form')
      .send({ _csrf: csrfFrom(page), state: 'delivered', from: 'detail', tracking: 'nope' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /a tracking reference goes only with &#34;shipped&#34;|a tracking reference goes only with "shipped"/);
    assert.equal(net.main.shop.store.byNumber(mainNumber)!.state, 'shipped');

    // Cancel with a reason: asked first, the reason carried through the confirmation.
    const ask = await admin
      .post(`/admin/orders/${mainNumber}/state`)
      .type('form')
      .send({ _csrf: csrfFrom(page), state: 'cancelled', from: 'detail', reason: 'address does not exist' });
    assert.equal(ask.status, 200);
    assert.match(ask.text, /cannot be reopened/);
    assert.equal(net.main.shop.store.byNumber(mainNumber)!.state, 'shipped', 'nothing happens before the confirmation');
    const hidden = Object.fromEntries([...ask.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]));
    assert.equal(hidden.reason, 'address does not exist');
    const done = await admin.post(`/admin/orders/${mainNumber}/state`).type('form').send(hidden);
    assert.equal(done.status, 303);
    page = (await admin.get(String(done.headers.location)).expect(200)).text;
    assert.match(page, /<strong>cancelled<\/strong> <span class="muted">by operator<\/span>: address does not exist/);
    assert.match(page, /None: a cancelled order does not move any more/);
    assert.doesNotMatch(page, /name="state" value=/, 'no action left');
    assert.match((await onlyMail('detail@example.org', `Order ${mainNumber} cancelled`)).text, /address does not exist/);
    assert.equal((await admin.get('/admin/orders/M-999999')).status, 404);
  });

  it('the orders list downloads as CSV with its filters (site, state), the partner’s number beside an entrusted order; a bad filter is refused', async () => {
    const admin = await consoleLogin(net.main.url, '/admin', 'operator');
    const list = (await admin.get('/admin/orders?site=south&state=cancelled').expect(200)).text;
    assert.ok(list.includes('href="/admin/orders.csv?site=south&amp;state=cancelled" download'), 'the link carries the list’s filters');
    const csv = await admin.get('/admin/orders.csv?site=south&state=cancelled').expect(200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /filename="orders-south-cancelled.csv"/);
    const rows = parse<Record<string, string>>(csv.text, { columns: true });
    const expected = net.main.shop.store.list({ site: 'south', state: 'cancelled' });
    assert.ok(expected.length > 0);
    assert.deepEqual(
      rows.map((r) => [r.number, r.site, r.state, Number(r.total_minor)]),
      expected.map((o) => [o.number, 'south', 'cancelled', o.total]),
    );
    assert.ok(
      rows.every((r) => /^SOUTH-\d{6}$/.test(r.partner_number!)),
      'each entrusted order with south’s number',
    );
    const all = parse<Record<string, string>>((await admin.get('/admin/orders.csv').expect(200)).text, { columns: true });
    assert.equal(all.length, net.main.shop.store.list({ limit: 1000 }).length);
    for (const bad of ['site=NOT%20A%20SITE', 'state=lost', 'extra=1']) assert.equal((await admin.get(`/admin/orders.csv?${bad}`)).status, 400, bad);
    assert.notEqual((await supertest(net.main.url).get('/admin/orders.csv')).status, 200, 'no CSV without a console session');
  });

  it('the shoppers list filters by words and registered site and downloads as CSV with the same filters; a bad filter is refused', async () => {
    const admin = await consoleLogin(net.main.url, '/admin', 'operator');
    const page = (await admin.get('/admin/users?q=tarp&site=south').expect(200)).text;
    assert.match(page, /tarp@example\.org/);
    assert.doesNotMatch(page, /pickup@example\.org/);
    assert.ok(page.includes('href="/admin/users.csv?q=tarp&amp;site=south" download'));
    const rows = parse<Record<string, string>>((await admin.get('/admin/users.csv?q=tarp&site=south').expect(200)).text, { columns: true });
    assert.deepEqual(
      rows.map((r) => [r.email, r.registered_site]),
      [['tarp@example.org', 'south']],
    );
    const everyone = parse<Record<string, string>>((await admin.get('/admin/users.csv').expect(200)).text, { columns: true });
    const all = (await api(net.main.url, 'GET', '/admin/api/users')).body.users as { id: string }[];
    assert.deepEqual(everyone.map((r) => r.id).sort(), all.map((u) => u.id).sort(), 'every shopper without a filter');
    assert.match((await admin.get('/admin/users?q=nobody-like-this').expect(200)).text, /No shopper matches/);
    for (const bad of ['site=Not%20a%20site', `q=${'x'.repeat(101)}`, 'other=1']) {
      const r = await admin.get(`/admin/users?${bad}`);
      assert.equal(r.status, 400, bad);
      assert.match(r.text, /role="alert"/);
      assert.equal((await admin.get(`/admin/users.csv?${bad}`)).status, 400);
    }
  });
});
