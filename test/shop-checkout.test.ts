import assert from 'node:assert/strict';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { ADDRESS, Shopper, orderNumberOf, totalOf } from './helpers/shopper.js';

const PASSWORD = 'a long enough passphrase';
/** South as in the demo: kitchen goods from its own stock, shelter consulted (3.00 EUR handling fee, shipped centrally), the rest entrusted. */
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
const HONEY = { currency: 'EUR', products: [{ id: 'south-honey', name: 'Mountain honey, 250 g', category: 'pantry', price: 690, stock: 18, description: 'From the hives.' }] };

describe('checkout: every fee shown before ordering, mixed carts split per handler and mode', function () {
  this.timeout(90000);
  let net: SyncNetwork;
  const south = () => net.partners.south!;
  const southStock = async () => (await api(south().url, 'GET', '/manage/api/stock')).body.stock as Record<string, number>;
  const mainStock = async () => (await api(net.main.url, 'GET', '/admin/api/stock')).body.stock as Record<string, number>;

  before(async () => {
    net = await startSyncNetwork([{ id: 'south', contract: { shop: SOUTH_SHOP }, originals: { 'catalog.json': JSON.stringify(HONEY) } }]);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'active');
    await south().shop.refreshFromMain();
    await api(south().url, 'PUT', '/manage/api/stock/mug-ti', { onHand: 10 });
  });
  after(() => net.close());

  it('a mug, honey, a tarp and a sleeping bag become a local, a consult and an entrusted order, each with its own lines, fee, stock and total as shown', async () => {
    const s = new Shopper(south().url);
    await s.register('mixed@example.org', PASSWORD);
    for (const id of ['mug-ti', 'south-honey', 'tarp-3x3', 'bag-down']) assert.equal((await s.add(id)).status, 303);
    const cart = (await s.agent.get('/cart').expect(200)).text;
    for (const g of ['shop', 'consult', 'central']) assert.match(cart, new RegExp(`/checkout\\?group=${g}"`), `a checkout for group ${g}`);
    const [south0, main0] = [await southStock(), await mainStock()];

    // The consulted tarp: the fee is on the checkout page, and the order charges exactly the total shown.
    const consultPage = await s.openCheckout('consult');
    assert.match(consultPage.html, /Tarp 3 × 3 m — 69.00 EUR/);
    assert.match(consultPage.html, /Handling fee — 3.00 EUR/);
    assert.match(consultPage.html, /Total: <strong>72.00 EUR<\/strong>/);
    assert.doesNotMatch(consultPage.html, /Titanium mug|honey|sleeping bag/i, 'only the consulted goods');
    assert.equal(consultPage.total, '7200');
    const consult = south().shop.store.byNumber(orderNumberOf(await s.placeOrder('consult')))!;
    assert.deepEqual([consult.mode, consult.handlingFee, consult.total, consult.warehouse], ['consult', 300, 7200, 'central']);
    assert.deepEqual(
      consult.lines.map((l) => l.productId),
      ['tarp-3x3'],
    );
    const consultShown = await s.agent.get(`/orders/${consult.number}?placed=1`).expect(200);
    assert.match(consultShown.text, /Still in your cart.*href="\/checkout\?group=shop".*href="\/checkout\?group=central"/s, 'the confirmation leads to the other parts, each its own order');
    assert.match(consultShown.text, /Handling fee — 3.00 EUR/);
    assert.match(consultShown.text, /Total: <strong>72.00 EUR<\/strong>/);

    // Mug and honey: south's own goods, from south's stock, no fee.
    const localPage = await s.openCheckout('shop');
    assert.doesNotMatch(localPage.html, /Handling fee/);
    assert.match(localPage.html, /Total: <strong>31.40 EUR<\/strong>/);
    const local = south().shop.store.byNumber(orderNumberOf(await s.placeOrder('shop')))!;
    assert.deepEqual([local.mode, local.handlingFee, local.total], ['local', 0, 2450 + 690]);
    assert.deepEqual(local.lines.map((l) => [l.productId, l.fromStock]).sort(), [
      ['mug-ti', true],
      ['south-honey', true],
    ]);

    // The sleeping bag: entrusted, from central stock, which offers no pickup (so the address is not said to be optional for it).
    const centralPage = await s.openCheckout('central');
    assert.doesNotMatch(centralPage.html, /value="pickup"|Not needed for pickup/);
    assert.match(localPage.html, /value="pickup"[\s\S]*Not needed for pickup|Not needed for pickup[\s\S]*value="pickup"/);
    const entrusted = south().shop.store.byNumber(orderNumberOf(await s.placeOrder('central')))!;
    assert.deepEqual([entrusted.mode, entrusted.handlingFee, entrusted.total], ['entrust', 0, 14900]);

    const [south1, main1] = [await southStock(), await mainStock()];
    assert.equal(south1['mug-ti'], south0['mug-ti']! - 1, 'the mug left south’s stock');
    assert.equal(south1['south-honey'], south0['south-honey']! - 1, 'the honey left south’s stock');
    assert.equal(south1['tarp-3x3'] ?? null, south0['tarp-3x3'] ?? null, 'the tarp (no stock check commanded) did not touch south’s stock');
    assert.equal(main1['tarp-3x3'], main0['tarp-3x3'], 'nor the central stock: south processes it');
    assert.equal(main1['bag-down'], main0['bag-down']! - 1, 'the entrusted bag left central stock');
    assert.match((await s.agent.get('/cart').expect(200)).text, /Your cart is empty/);
  });

  it('refuses to charge a fee the shopper was not shown: a contract change between page and order shows the new total for confirmation', async () => {
    const s = new Shopper(south().url);
    await s.register('feechange@example.org', PASSWORD);
    await s.add('tarp-3x3');
    const page = await s.openCheckout('consult');
    assert.match(page.html, /Handling fee — 3.00 EUR/);
    const patched = await api(net.main.url, 'PATCH', '/admin/api/partners/south', { contract: { shop: { ...SOUTH_SHOP, consult: { ...SOUTH_SHOP.consult, handlingFee: 500 } } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const refused = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: page.csrf, group: 'consult', key: page.key, total: page.total, settlement: 'pay_on_delivery', ...ADDRESS });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /The total of this order changed/);
    assert.match(refused.text, /Handling fee — 5.00 EUR/);
    assert.match(refused.text, /Total: <strong>74.00 EUR<\/strong>/);
    assert.equal(totalOf(refused.text), '7400', 'the form now carries the new total');
    assert.equal((await s.agent.get('/account').expect(200)).text.includes('SOUTH-'), false, 'nothing was ordered');
    // Confirming the new total places the order at exactly that total.
    const ok = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: page.csrf, group: 'consult', key: page.key, total: totalOf(refused.text), settlement: 'pay_on_delivery', ...ADDRESS });
    const o = south().shop.store.byNumber(orderNumberOf(ok))!;
    assert.deepEqual([o.handlingFee, o.total], [500, 7400]);
  });
});
