import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHOP_ORDER_PLACE } from '../common/protocol/index.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { ADDRESS, Shopper, csrfOf, orderNumberOf } from './helpers/shopper.js';

const PASSWORD = 'a long enough passphrase';
const SOUTH_SHOP = {
  handling: {
    default: 'entrust',
    rules: [
      { category: 'kitchen', mode: 'local' },
      { category: 'shelter', mode: 'consult' },
    ],
  },
  consult: { checkStock: false, warehouse: 'east', handlingFee: 300 },
};

describe('the shop on every site: catalog, cart, checkout, handling modes, exactly-once forwarding, consoles', function () {
  this.timeout(90000);
  let net: SyncNetwork;
  const main = () => net.main.url;
  const north = () => net.partners.north!;
  const south = () => net.partners.south!;
  const stock = async (id: string) => (await api(main(), 'GET', '/admin/api/stock')).body.stock[id] as number;
  const setStock = (id: string, onHand: number) => api(main(), 'PUT', `/admin/api/stock/${id}`, { onHand });
  const mainOrders = async (site?: string) =>
    (await api(main(), 'GET', `/admin/api/orders${site ? `?site=${site}` : ''}`)).body.orders as {
      number: string;
      site: string;
      mode: string;
      state: string;
      lines: { productId: string; qty: number }[];
    }[];

  before(async () => {
    net = await startSyncNetwork([
      {
        id: 'north',
        contract: { shop: { handling: { default: 'entrust' } } },
        originals: {
          'catalog.json': JSON.stringify({ currency: 'EUR', products: [{ id: 'north-map', name: 'Map <b>of</b> the <script>alert(1)</script> coast', category: 'maps', price: 950, stock: 3 }] }),
        },
      },
      { id: 'south', contract: { shop: SOUTH_SHOP, users: { userCopy: false } } },
    ]);
    // An operator's product name with markup, and a Markdown page with raw HTML: both must show as text.
    const catalogFile = join(net.contentDir, 'catalog', 'products.json');
    const catalog = JSON.parse((await import('node:fs')).readFileSync(catalogFile, 'utf8')) as { products: Record<string, unknown>[] };
    catalog.products.push({ id: 'xss-lamp', name: 'Lamp <img src=x onerror=alert(1)>', category: 'light', price: 1500, stock: 5, description: '<script>alert("desc")</script>' });
    writeFileSync(catalogFile, JSON.stringify(catalog));
    net.write('pages/raw.md', '# Raw\n\n<script>alert("md")</script>\n\n<div onclick="x()">hi</div>\n');
    assert.equal((await api(main(), 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    for (const id of ['north', 'south']) assert.equal((await api(main(), 'POST', `/admin/api/partners/${id}/push`, {})).body.outcome, 'active');
    await north().shop.refreshFromMain();
    await south().shop.refreshFromMain();
  });
  after(() => net.close());

  it('serves category lists, product pages with price and availability, and search, on the main site and on a partner', async () => {
    for (const url of [main(), north().url]) {
      const s = new Shopper(url);
      const index = await s.agent.get('/shop').expect(200);
      assert.match(index.text, /href="\/shop\/category\/shelter">Shelter<\/a> \(2\)/);
      const cat = await s.agent.get('/shop/category/sleep').expect(200);
      assert.match(cat.text, /Down sleeping bag<\/a> <span class="price">149.00 EUR<\/span>/);
      assert.doesNotMatch(cat.text, /Trail tent/);
      const product = await s.agent.get('/shop/product/tent-2p').expect(200);
      assert.match(product.text, /<p class="price">189.00 EUR<\/p>/);
      assert.match(product.text, /<p class="availability avail-in">In stock<\/p>/);
      assert.match(String(product.headers['set-cookie']), new RegExp(`tieup_${url === main() ? 'main' : 'north'}_cart=[^;]+; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Lax`));
      const search = await s.agent.get('/shop?q=SLEEPING').expect(200);
      assert.match(search.text, /2 product\(s\) match/);
      assert.match(search.text, /Foam sleeping mat/);
      const none = await s.agent.get('/shop/product/no-such-thing').set('accept', 'text/html').expect(404);
      assert.match(none.text, /There is no page at \/shop\/product\/no-such-thing/);
    }
    // The partner's own goods sit beside the tie-up goods, in its catalog only.
    assert.match((await new Shopper(north().url).agent.get('/shop/category/maps').expect(200)).text, /Map &lt;b&gt;of&lt;\/b&gt;/);
    await new Shopper(main()).agent.get('/shop/category/maps').set('accept', 'text/html').expect(404);
  });

  it('revalidates a product page by ETag (304 for the same shopper and release), and a new release changes the ETag', async () => {
    const s = new Shopper(north().url);
    const first = await s.agent.get('/shop/product/mug-ti').expect(200);
    assert.equal(first.headers['cache-control'], 'private, no-cache');
    await s.agent.get('/shop/product/mug-ti').set('if-none-match', first.headers.etag!).expect(304);
    const other = new Shopper(north().url);
    const theirs = await other.agent.get('/shop/product/mug-ti').expect(200);
    assert.notEqual(theirs.headers.etag, first.headers.etag, 'each shopper has their own form token, so their own ETag');
    const index = await s.agent.get('/shop').expect(200);
    await s.agent.get('/shop').set('if-none-match', index.headers.etag!).expect(304);
  });

  it('shows everything operators and partners wrote as text: product names, descriptions, Markdown raw HTML', async () => {
    for (const url of [main(), north().url]) {
      const lamp = await new Shopper(url).agent.get('/shop/product/xss-lamp').expect(200);
      assert.match(lamp.text, /<h1>Lamp &lt;img src=x onerror=alert\(1\)&gt;<\/h1>/);
      assert.match(lamp.text, /&lt;script&gt;alert\(&quot;desc&quot;\)&lt;\/script&gt;/);
      assert.doesNotMatch(lamp.text, /<img src=x|<script>alert/);
      const raw = await new Shopper(url).agent.get('/raw').expect(200);
      assert.match(raw.text, /&lt;script&gt;alert\(&quot;md&quot;\)&lt;\/script&gt;/);
      assert.doesNotMatch(raw.text, /<script>alert|<div onclick/);
      const search = await new Shopper(url).agent.get('/shop?q=%3Cscript%3Ex').expect(200);
      assert.match(search.text, /match “&lt;script&gt;x”/);
    }
    const map = await new Shopper(north().url).agent.get('/shop/product/north-map').expect(200);
    assert.match(map.text, /<h1>Map &lt;b&gt;of&lt;\/b&gt; the &lt;script&gt;alert\(1\)&lt;\/script&gt; coast<\/h1>/);
  });

  it('an entrusted order from north: processed at the main site (stock -1), listed in both consoles and the account, logged with user and session', async () => {
    const before = await stock('tent-2p');
    const s = new Shopper(north().url);
    assert.equal((await s.register('ada@example.org', PASSWORD)).status, 303);
    assert.equal((await s.add('tent-2p', 2)).status, 303);
    const cart = await s.agent.get('/cart').expect(200);
    assert.match(cart.text, /Sent from the central warehouse/);
    const res = await s.placeOrder('central');
    const number = orderNumberOf(res);
    assert.match(number, /^NORTH-\d{6}$/);
    const confirmation = await s.agent.get(`/orders/${number}?placed=1`).expect(200);
    assert.match(confirmation.text, /Order number <strong>NORTH-\d+<\/strong>/);
    assert.match(confirmation.text, /pay the courier when it arrives/);
    assert.equal(await stock('tent-2p'), before - 2);
    const atMain = (await mainOrders('north'))[0]!;
    assert.deepEqual([atMain.site, atMain.mode, atMain.state, atMain.lines[0]!.qty], ['north', 'entrust', 'accepted', 2]);
    const partnerOrders = (await api(north().url, 'GET', '/manage/api/orders')).body.orders;
    assert.equal(partnerOrders[0].number, number);
    assert.equal(partnerOrders[0].mainNumber, (atMain as { number: string }).number);
    assert.match((await s.agent.get('/account').expect(200)).text, new RegExp(`${number}</a></td><td>[^<]+</td><td>378.00 EUR</td><td class="order-state state-accepted">accepted`));
    assert.match((await s.agent.get('/cart').expect(200)).text, /Your cart is empty/);
    north().ctx.log.flush();
    const entries = north()
      .ctx.logStore.lines(0, 1_000_000)
      .map((line) => JSON.parse(line) as { type: string; user: string | null; session: string | null; order: { id: string; amount: number } | null; path: string });
    const orderEntry = entries.find((e) => e.type === 'order' && e.order?.id === number)!;
    assert.equal(orderEntry.order!.amount, 37800);
    assert.ok(orderEntry.user && orderEntry.session, 'the order entry names the user and the session');
    assert.ok(
      entries.some((e) => e.type === 'page' && e.path === '/cart' && e.user === orderEntry.user),
      'pages seen while logged in carry the user id',
    );
  });

  it('sells the last unit once when two partners order it at the same moment; the other shopper gets a clear out-of-stock message', async () => {
    await setStock('bag-down', 1);
    await north().shop.refreshFromMain();
    await south().shop.refreshFromMain();
    const a = new Shopper(north().url);
    const b = new Shopper(south().url);
    await a.register('north-buyer@example.org', PASSWORD);
    await b.register('south-buyer@example.org', PASSWORD);
    await a.add('bag-down');
    await b.add('bag-down');
    const [fa, fb] = [await a.openCheckout('central'), await b.openCheckout('central')];
    const send = (s: Shopper, f: { csrf: string; key: string; total: string }) =>
      s.agent
        .post('/checkout')
        .type('form')
        .send({ _csrf: f.csrf, group: 'central', key: f.key, total: f.total, settlement: 'bank_transfer', ...ADDRESS });
    const results = await Promise.all([send(a, fa), send(b, fb)]);
    const won = results.filter((r) => r.status === 303);
    const lost = results.filter((r) => r.status === 409);
    assert.equal(won.length, 1, results.map((r) => `${r.status} ${r.text.slice(0, 200)}`).join('\n'));
    assert.equal(lost.length, 1);
    assert.match(lost[0]!.text, /Down sleeping bag is out of stock; nothing was ordered/);
    assert.equal(await stock('bag-down'), 0);
    assert.equal((await mainOrders()).filter((o) => o.lines.some((l) => l.productId === 'bag-down')).length, 1);
    const loser = lost[0] === results[0] ? north() : south();
    assert.equal(loser.shop.store.list().filter((o) => o.lines.some((l) => l.productId === 'bag-down')).length, 0, 'the losing partner keeps no order');
    // The product page now says so, and adding to the cart is refused.
    await north().shop.refreshFromMain();
    const page = await new Shopper(north().url).agent.get('/shop/product/bag-down').expect(200);
    assert.match(page.text, /avail-out">Out of stock/);
    assert.match(page.text, /<button type="submit" disabled>/);
  });

  it('a forwarded order is exactly-once: a repeat with the same key returns the first order; the same key with other parameters is refused', async () => {
    const s = new Shopper(north().url);
    await s.register('repeat@example.org', PASSWORD);
    const user = (await api(main(), 'GET', '/admin/api/users')).body.users.find((u: { email: string }) => u.email === 'repeat@example.org');
    const body = {
      idempotencyKey: 'repeat-key-0123456789',
      user: { id: user.id, email: user.email },
      lines: [{ productId: 'mat-foam', qty: 1 }],
      settlement: 'pay_on_delivery' as const,
      address: ADDRESS,
    };
    const before = await stock('mat-foam');
    const first = await north().ctx.client.send('main', SHOP_ORDER_PLACE, body);
    assert.equal(first.status, 201);
    const again = await north().ctx.client.send('main', SHOP_ORDER_PLACE, body);
    assert.equal(again.status, 200);
    assert.equal(again.body.replayed, true);
    assert.equal(again.body.order.id, first.body.order.id);
    assert.equal(await stock('mat-foam'), before - 1);
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/shop/orders', { ...body, lines: [{ productId: 'mat-foam', qty: 2 }] }),
      (err: { details?: { status?: number; body?: { error?: { code?: string } } } }) => err.details?.status === 409 && err.details.body?.error?.code === 'idempotency_key_reused',
    );
    // Another partner may use the same key string: keys are scoped per partner.
    const other = await south().ctx.client.send('main', SHOP_ORDER_PLACE, body);
    assert.equal(other.status, 201);
    assert.notEqual(other.body.order.id, first.body.order.id);
    await assert.rejects(north().ctx.client.call('main', 'POST', '/s2s/shop/orders', { ...body, idempotencyKey: 'short' }), (err: { details?: { status?: number } }) => err.details?.status === 400);
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/shop/orders', { ...body, idempotencyKey: 'another-key-0123456789', lines: [{ productId: 'nope', qty: 1 }] }),
      (err: { details?: { body?: { error?: { code?: string } } } }) => err.details?.body?.error?.code === 'unknown_product',
    );
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/shop/orders', { ...body, idempotencyKey: 'another-key-0123456789', user: { id: 'forged', email: 'x@y.z' } }),
      (err: { details?: { body?: { error?: { code?: string } } } }) => err.details?.body?.error?.code === 'unknown_user',
    );
  });

  it('a shopper retry after a lost answer never creates a second order', async () => {
    const s = new Shopper(north().url);
    await s.register('lost@example.org', PASSWORD);
    await s.add('tarp-3x3');
    const f = await s.openCheckout('central');
    const user = (await api(main(), 'GET', '/admin/api/users')).body.users.find((u: { email: string }) => u.email === 'lost@example.org');
    // The partner's first forward reached the main site, but its answer was lost on the way back.
    const lostAnswer = await north().ctx.client.send('main', SHOP_ORDER_PLACE, {
      idempotencyKey: f.key,
      user: { id: user.id, email: user.email },
      lines: [{ productId: 'tarp-3x3', qty: 1 }],
      settlement: 'pay_on_delivery',
      address: ADDRESS,
    });
    const before = (await mainOrders()).length;
    const retry = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: f.csrf, group: 'central', key: f.key, total: f.total, settlement: 'pay_on_delivery', ...ADDRESS });
    const number = orderNumberOf(retry);
    assert.equal((await mainOrders()).length, before, 'no second order at the main site');
    assert.equal(north().shop.store.byNumber(number)!.mainNumber, lostAnswer.body.order.number);
  });

  it('consult mode follows the main site command: warehouse and handling fee from the contract, stock check when commanded', async () => {
    const s = new Shopper(south().url);
    await s.register('consult@example.org', PASSWORD);
    await api(south().url, 'PUT', '/manage/api/stock/mug-ti', { onHand: 5 });
    await s.add('tent-2p');
    assert.equal((await s.add('mug-ti')).status, 303);
    const cart = await s.agent.get('/cart').expect(200);
    assert.match(cart.text, /From south/);
    const tentAtMain = await stock('tent-2p');
    const number = orderNumberOf(await s.placeOrder('consult', 'pickup', { name: '', street: '', postcode: '', city: '', country: '' }));
    const o = south().shop.store.byNumber(number)!;
    assert.equal(o.mode, 'consult');
    assert.equal(o.warehouse, 'east');
    assert.equal(o.handlingFee, 300);
    assert.equal(o.total, 18900 + 300);
    assert.equal(o.address, null);
    const localOrder = south().shop.store.byNumber(orderNumberOf(await s.placeOrder('shop', 'pickup', { name: '', street: '', postcode: '', city: '', country: '' })))!;
    assert.deepEqual([localOrder.mode, localOrder.handlingFee, localOrder.total], ['local', 0, 2450], 'the mug is its own local order, without the fee');
    assert.equal((await api(south().url, 'GET', '/manage/api/stock')).body.stock['mug-ti'], 4, 'the local line took local stock');
    assert.equal(await stock('tent-2p'), tentAtMain, 'a consult order is processed by the partner, not the main site');
    const consultations = (await api(main(), 'GET', '/admin/api/consultations')).body.consultations;
    assert.equal(consultations[0].site, 'south');
    assert.equal(consultations[0].command.warehouse, 'east');
    assert.match((await s.agent.get(`/orders/${number}`).expect(200)).text, /Handling fee — 3.00 EUR/);

    // The main site now commands a stock check: south holds no tents of its own, so the order is refused.
    const patched = await api(main(), 'PATCH', '/admin/api/partners/south', {
      contract: { sync: { partnershipType: 'content' }, shop: { ...SOUTH_SHOP, consult: { checkStock: true, warehouse: 'east', handlingFee: 300 } } },
    });
    assert.equal(patched.status, 200);
    await south().shop.refreshFromMain();
    await s.add('tent-2p');
    const refused = await s.placeOrder('consult', 'pickup');
    assert.equal(refused.status, 409);
    assert.match(refused.text, /Trail tent, 2 persons is out of stock here; nothing was ordered/);
    const bad = await api(main(), 'PATCH', '/admin/api/partners/south', { contract: { shop: { handling: { default: 'forward' } } } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /shop\.handling\.default/);
  });

  it('moves orders through their states in the consoles; a cancellation returns the stock and reaches the partner and its log', async () => {
    const s = new Shopper(north().url);
    await s.register('states@example.org', PASSWORD);
    await s.add('stove-gas', 3);
    const number = orderNumberOf(await s.placeOrder('central'));
    const mainNumber = north().shop.store.byNumber(number)!.mainNumber!;
    const before = await stock('stove-gas');
    const move = (state: string) => api(main(), 'POST', `/admin/api/orders/${mainNumber}/state`, { state });
    assert.equal((await move('delivered')).status, 409, 'accepted cannot jump to delivered');
    assert.equal((await move('shipped')).body.order.state, 'shipped');
    assert.equal((await move('bogus')).status, 400);
    assert.equal((await move('cancelled')).body.order.state, 'cancelled');
    assert.equal(await stock('stove-gas'), before + 3);
    assert.equal((await move('shipped')).status, 409, 'a cancelled order stays cancelled');
    // North hears the main site's state when the shopper (or the manager) looks.
    assert.match((await s.agent.get('/account').expect(200)).text, new RegExp(`${number}</a>.*state-cancelled">cancelled`));
    const managerView = (await api(north().url, 'GET', '/manage/api/orders')).body.orders.find((o: { number: string }) => o.number === number);
    assert.equal(managerView.state, 'cancelled');
    assert.equal((await api(north().url, 'POST', `/manage/api/orders/${number}/state`, { state: 'delivered' })).body.error.code, 'processed_by_main');
    north().ctx.log.flush();
    const entries = north()
      .ctx.logStore.lines(0, 1_000_000)
      .map((line) => JSON.parse(line) as { type: string; order: { id: string } | null });
    assert.equal(entries.filter((e) => e.type === 'cancel' && e.order?.id === number).length, 1, 'one cancel entry, however often the state is read');

    // A locally processed order moves in the partner console, and its cancellation returns local stock.
    const local = new Shopper(south().url);
    await local.register('local@example.org', PASSWORD);
    await api(south().url, 'PUT', '/manage/api/stock/mug-ti', { onHand: 1 });
    await local.add('mug-ti');
    const localNumber = orderNumberOf(await local.placeOrder('shop', 'pickup'));
    assert.equal(south().shop.store.byNumber(localNumber)!.mode, 'local');
    assert.equal((await api(south().url, 'GET', '/manage/api/stock')).body.stock['mug-ti'], 0);
    const page = await new Shopper(south().url).agent.get('/shop/product/mug-ti').expect(200);
    assert.match(page.text, /Out of stock/);
    assert.equal((await api(south().url, 'POST', `/manage/api/orders/${localNumber}/state`, { state: 'cancelled' })).body.order.state, 'cancelled');
    assert.equal((await api(south().url, 'GET', '/manage/api/stock')).body.stock['mug-ti'], 1);

    // The main console also lists what partners process themselves, read live from each partner.
    const remote = (await api(main(), 'GET', '/admin/api/partner-orders')).body;
    assert.deepEqual(remote.unreachable, []);
    const seen = remote.orders.find((o: { number: string }) => o.number === localNumber);
    assert.deepEqual([seen.site, seen.mode, seen.state], ['south', 'local', 'cancelled']);
    assert.ok(remote.orders.some((o: { site: string; mode: string }) => o.site === 'south' && o.mode === 'consult'));
    assert.ok(!remote.orders.some((o: { mode: string }) => o.mode === 'entrust'), "entrusted orders are listed once, as the main site's own");
    assert.ok(!('idempotencyKey' in seen) && !('address' in seen), 'the main site reads no more than it shows');
  });

  it('refuses cart and checkout forms without the right token (CSRF) and changes nothing', async () => {
    const s = new Shopper(north().url);
    await s.register('csrf@example.org', PASSWORD);
    await s.agent.get('/shop/product/tent-2p').expect(200);
    const noToken = await s.agent.post('/cart/add').type('form').send({ product: 'tent-2p', qty: '1' });
    assert.equal(noToken.status, 403);
    assert.match(noToken.text, /CSRF/);
    const otherShopper = new Shopper(north().url);
    const theirs = csrfOf((await otherShopper.agent.get('/shop/product/tent-2p')).text);
    assert.equal((await s.agent.post('/cart/add').type('form').send({ _csrf: theirs, product: 'tent-2p', qty: '1' })).status, 403, "another shopper's token is refused");
    assert.match((await s.agent.get('/cart')).text, /Your cart is empty/);
    await s.add('tent-2p');
    const f = await s.openCheckout('central');
    const before = (await mainOrders()).length;
    const forged = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: theirs, group: 'central', key: f.key, total: f.total, settlement: 'pay_on_delivery', ...ADDRESS });
    assert.equal(forged.status, 403);
    assert.equal((await mainOrders()).length, before);
    assert.equal((await s.agent.post('/cart/add').type('form').send({ _csrf: f.csrf, product: 'tent-2p', qty: '500' })).status, 400);
    const missing = await s.agent.post('/checkout').type('form').send({ _csrf: f.csrf, group: 'central', key: f.key, total: f.total, settlement: 'pay_on_delivery' });
    assert.equal(missing.status, 400);
    assert.match(missing.text, /Fill in the delivery address \(name, street, postcode, city, country\)/);
    const pickupAtMain = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: f.csrf, group: 'central', key: f.key, total: f.total, settlement: 'pickup', ...ADDRESS });
    assert.equal(pickupAtMain.status, 400, 'pickup is offered only for goods the partner hands out itself');
    assert.equal((await mainOrders()).length, before);
  });

  it('sends anonymous shoppers to log in before checkout and back afterwards', async () => {
    const s = new Shopper(north().url);
    await s.add('mat-foam');
    const res = await s.agent.get('/checkout?group=central');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/account/login?next=%2Fcheckout%3Fgroup%3Dcentral');
    const form = await s.agent.get(res.headers.location).expect(200);
    const login = await s.agent
      .post('/account/login')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: 'ada@example.org', password: PASSWORD, next: '/checkout?group=central' });
    assert.equal(login.headers.location, '/checkout?group=central');
    const t = new Shopper(north().url);
    const loginForm = await t.agent.get('/account/login');
    const evil = await t.agent
      .post('/account/login')
      .type('form')
      .send({ _csrf: csrfOf(loginForm.text), email: 'ada@example.org', password: PASSWORD, next: '//evil.example/' });
    assert.equal(evil.status, 303, `${evil.status} ${/role="alert">([^<]*)/.exec(evil.text)?.[1]}`);
    assert.equal(evil.headers.location, '/account');
  });
});
