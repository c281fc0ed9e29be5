import assert from 'node:assert/strict';
import supertest from 'supertest';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { ADDRESS, csrfOf, Shopper } from './helpers/shopper.js';
import { TEST_PASSWORD } from './helpers/network.js';
import { startTamperProxy } from './helpers/tamper-proxy.js';

const PASSWORD = 'a long enough passphrase';

/**
 * The main site takes an entrusted order but its answer never reaches the
 * partner: a real proxy between them forwards the request and cuts the
 * connection once the main site has answered.
 */
describe('lost answers to entrusted orders: the partner records the attempt first, tells the truth and settles by idempotency key', function () {
  this.timeout(90000);
  let net: SyncNetwork;
  let proxy: Awaited<ReturnType<typeof startTamperProxy>>;
  /** Cut the connection after the main site answered the next order placement. */
  let dropNextOrderAnswer = false;
  /** The main site looks unreachable: every request is cut before it is forwarded. */
  let down = false;
  const north = () => net.partners.north!;
  const mainOrdersOf = (email: string) => net.main.shop.store.list({ site: 'north' }).filter((o) => o.userEmail === email);

  before(async () => {
    // The background settlement runs only when a test calls it, so each step below sees the state it sets up.
    net = await startSyncNetwork([{ id: 'north', contract: { shop: { handling: { default: 'entrust' } } } }], { shopSettleMs: 3600_000 });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
    proxy = await startTamperProxy(
      net.main.url,
      (u, url) => {
        if (dropNextOrderAnswer && url === '/s2s/shop/orders') {
          dropNextOrderAnswer = false;
          return 'drop';
        }
        return u;
      },
      () => (down ? 'drop' : undefined),
    );
    north().ctx.peers.setBaseUrl('main', proxy.url);
    assert.equal(await north().shop.refreshFromMain(), true);
  });
  after(async () => {
    await proxy.close();
    await net.close();
  });

  async function pendingCheckout(s: Shopper, email: string): Promise<{ pendingUrl: string; csrf: string; key: string }> {
    assert.equal((await s.register(email, PASSWORD)).status, 303);
    assert.equal((await s.add('tent-2p')).status, 303);
    const f = await s.openCheckout('central');
    dropNextOrderAnswer = true;
    const res = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: f.csrf, group: 'central', key: f.key, total: f.total, settlement: 'pay_on_delivery', ...ADDRESS });
    assert.equal(res.status, 303, `the shopper is sent to a page that tells the truth, not "nothing was ordered": ${res.status} ${res.text.slice(0, 300)}`);
    const pendingUrl = String(res.headers.location);
    assert.match(pendingUrl, /^\/checkout\/pending\/[A-Za-z0-9_-]+$/);
    assert.equal(mainOrdersOf(email).length, 1, 'the main site committed the order');
    return { pendingUrl, csrf: f.csrf, key: f.key };
  }

  it('main commits, the answer is lost, the shopper changes the cart and checks out again: exactly one order, seen by shopper, manager and main site', async () => {
    const email = 'lost@example.org';
    const s = new Shopper(north().url);
    const first = await pendingCheckout(s, email);

    // While the main site cannot be asked: "we are confirming", the cart is locked, nothing recorded as an order yet.
    down = true;
    const waiting = await s.agent.get(first.pendingUrl);
    assert.equal(waiting.status, 202);
    assert.match(waiting.text, /We are confirming your order/);
    assert.match(waiting.text, /Trail tent, 2 persons/);
    const locked = await s.agent.post('/cart/update').type('form').send({ _csrf: first.csrf, 'qty_tent-2p': '2' });
    assert.equal(locked.status, 409);
    assert.match(locked.text, /your cart is locked/);
    assert.equal((await s.agent.get('/checkout?group=central')).status, 409, 'no new checkout from a locked cart');
    assert.equal(north().shop.store.list().length, 0);
    const manager = await api(north().url, 'GET', '/manage/api/orders');
    assert.equal(manager.body.beingConfirmed.length, 1, 'the manager sees the order being confirmed');
    down = false;

    // The shopper changes the cart (2 tents instead of 1) and checks out again: the lost order is settled first.
    const changed = await s.agent.post('/cart/update').type('form').send({ _csrf: first.csrf, 'qty_tent-2p': '2' });
    assert.equal(changed.status, 409);
    assert.match(changed.text, /Your order NORTH-\d+ was placed/);
    assert.equal((await s.agent.get('/checkout?group=central')).status, 404, 'nothing is left to check out');
    const again = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: first.csrf, group: 'central', key: first.key, settlement: 'pay_on_delivery', ...ADDRESS });
    assert.equal(again.status, 409, 'the old form orders nothing more');

    // Exactly one order, everywhere.
    const atMain = mainOrdersOf(email);
    assert.equal(atMain.length, 1, 'one order at the main site');
    const atNorth = north()
      .shop.store.list()
      .filter((o) => o.userEmail === email);
    assert.equal(atNorth.length, 1, 'one order at the partner');
    assert.equal(atNorth[0]!.mainNumber, atMain[0]!.number);
    assert.equal(atNorth[0]!.mode, 'entrust');
    const number = atNorth[0]!.number;
    assert.match((await s.agent.get('/account').expect(200)).text, new RegExp(number));
    assert.equal((await s.agent.get(`/orders/${number}`)).status, 200);
    assert.equal((await s.agent.get(first.pendingUrl)).status, 303, 'the pending page now leads to the order');
    const managerAgent = supertest.agent(north().url);
    const login = await managerAgent.get('/manage/login').expect(200);
    await managerAgent
      .post('/manage/login')
      .type('form')
      .send({ _csrf: csrfOf(login.text), username: 'manager', password: TEST_PASSWORD })
      .expect(303);
    const page = await managerAgent.get('/manage/orders').expect(200);
    assert.match(page.text, new RegExp(`data-order="${number}"`));
    assert.match(page.text, new RegExp(atMain[0]!.number));
    // The partner confirmed it: the main site does not list it as unconfirmed and will never expire it.
    const unconfirmed = await api(net.main.url, 'GET', '/admin/api/orders/unconfirmed');
    assert.deepEqual(
      unconfirmed.body.orders.map((o: { number: string }) => o.number),
      [],
    );
    assert.equal(net.main.shop.expireUnconfirmed(new Date(Date.now() + 400 * 86400_000)).length, 0);
    // The order went into the partner's access log once (fees rest on it).
    north().ctx.log.flush();
    const entries = north()
      .ctx.logStore.lines(0, north().ctx.log.size)
      .map((l) => JSON.parse(l) as { type: string; order: { id: string } | null })
      .filter((e) => e.type === 'order' && e.order?.id === number);
    assert.equal(entries.length, 1);
  });

  it('an entrusted order its partner never confirms is listed at the main site and expires: cancelled, stock returned; the partner then learns the truth', async () => {
    const email = 'never-confirmed@example.org';
    const s = new Shopper(north().url);
    const stockBefore = net.main.shop.stock()['tent-2p']!;
    const p = await pendingCheckout(s, email);
    const order = mainOrdersOf(email)[0]!;
    assert.equal(net.main.shop.stock()['tent-2p'], stockBefore - 1);
    down = true;
    assert.equal(await north().shop.settlePending(), 0, 'the partner cannot settle while the main site is unreachable');

    const listed = await api(net.main.url, 'GET', '/admin/api/orders/unconfirmed');
    assert.deepEqual(
      listed.body.orders.map((o: { number: string; expiredAt: string | null }) => [o.number, o.expiredAt]),
      [[order.number, null]],
    );
    assert.equal(net.main.shop.expireUnconfirmed().length, 0, 'not before the configured time');
    const expired = net.main.shop.expireUnconfirmed(new Date(Date.now() + net.main.ctx.config.shopUnconfirmedExpireMs + 1000));
    assert.deepEqual(
      expired.map((o) => o.number),
      [order.number],
    );
    assert.equal(net.main.shop.store.byNumber(order.number)!.state, 'cancelled');
    assert.equal(net.main.shop.stock()['tent-2p'], stockBefore, 'its stock is back');
    const after = await api(net.main.url, 'GET', '/admin/api/orders/unconfirmed');
    assert.equal(after.body.orders[0].number, order.number);
    assert.ok(after.body.orders[0].expiredAt, 'the console lists it as expired');

    // The partner comes back: its background job settles the attempt, and the shopper sees the order, cancelled.
    down = false;
    assert.equal(await north().shop.settlePending(), 1);
    const atNorth = north()
      .shop.store.list()
      .filter((o) => o.userEmail === email);
    assert.equal(atNorth.length, 1);
    assert.equal(atNorth[0]!.state, 'cancelled');
    const res = await s.agent.get(p.pendingUrl);
    assert.equal(res.status, 303);
    assert.match((await s.agent.get(String(res.headers.location)).expect(200)).text, /cancelled/);
  });
});
