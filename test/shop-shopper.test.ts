import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import supertest from 'supertest';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper, csrfOf } from './helpers/shopper.js';

const PASSWORD = 'a long enough passphrase';
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

describe('the shopper’s shop: honest availability, cart count, product pictures, 390 px pages', function () {
  this.timeout(120000);
  let net: SyncNetwork;
  let browser: Browser | undefined;
  const south = () => net.partners.south!;

  before(async () => {
    net = await startSyncNetwork([{ id: 'south', contract: { shop: SOUTH_SHOP } }]);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'active');
    await south().shop.refreshFromMain();
    await api(south().url, 'PUT', '/manage/api/stock/mug-ti', { onHand: 10 });
  });
  after(async () => {
    await browser?.close();
    await net.close();
  });

  it('says how many are left when few are, and refuses more in the cart than can be had, saying why', async () => {
    assert.equal((await api(net.main.url, 'PUT', '/admin/api/stock/stove-gas', { onHand: 7 })).status, 200);
    const s = new Shopper(net.main.url);
    assert.match((await s.agent.get('/shop/product/stove-gas').expect(200)).text, /<p class="availability avail-few">7 left<\/p>/);
    assert.match((await s.agent.get('/shop/product/mat-foam').expect(200)).text, /avail-in">In stock</);
    assert.equal((await s.add('stove-gas', 5)).status, 303);
    const more = await s.add('stove-gas', 3);
    assert.equal(more.status, 409);
    assert.match(more.text, /Only 7 of Gas stove left and 5 already in your cart; nothing was added\./);
    const tooMany = await s.add('mat-foam', 99);
    assert.equal(tooMany.status, 409, 'not 99 of 30 in the cart');
    assert.match(tooMany.text, /Only 30 of Foam sleeping mat left; nothing was added\./);
    let cart = await s.agent.get('/cart').expect(200);
    assert.match(cart.text, /name="qty_stove-gas" type="number" min="0" max="99" value="5"/);
    assert.doesNotMatch(cart.text, /Foam sleeping mat/);
    const update = await s.agent
      .post('/cart/update')
      .type('form')
      .send({ _csrf: csrfOf(cart.text), 'qty_stove-gas': '9' });
    assert.equal(update.status, 409);
    assert.match(update.text, /Only 7 of Gas stove left; nothing was changed\./);
    // Stock falls under what the cart holds: the cart says so instead of "In stock".
    await api(net.main.url, 'PUT', '/admin/api/stock/stove-gas', { onHand: 3 });
    cart = await s.agent.get('/cart').expect(200);
    assert.match(cart.text, /<small class="avail-out">Only 3 left: lower the quantity<\/small>/);
  });

  it('shows the cart count in the navigation of every page', async () => {
    const s = new Shopper(south().url);
    const home = await s.agent.get('/shop').expect(200);
    assert.match(home.text, /<a href="\/cart" class="nav-cart">Cart <img class="cart-count" src="\/cart\/count.svg" alt="" height="20"><\/a>/);
    const empty = await s.agent.get('/cart/count.svg').expect(200);
    assert.equal(empty.headers['content-type'], 'image/svg+xml; charset=utf-8');
    assert.match(empty.headers['cache-control']!, /no-store/);
    assert.doesNotMatch(String(empty.body), /<text/);
    await s.add('mug-ti', 2);
    await s.add('tarp-3x3');
    const three = await s.agent.get('/cart/count.svg').expect(200);
    assert.match(three.body.toString(), /<title>3 in your cart<\/title>.*>3<\/text>/);
  });

  it('serves product pictures from the release at a width from a fixed list, cached by version', async () => {
    for (const url of [net.main.url, south().url]) {
      const agent = supertest.agent(url);
      const page = (await agent.get('/shop/product/tent-2p').expect(200)).text;
      const m = /<img class="product-image" src="(\/shop\/image\/tent-2p\?w=320&amp;v=([0-9a-f]+))" srcset="[^"]*w=640[^"]* 2x" width="320" height="240" alt="Trail tent, 2 persons">/.exec(page);
      assert.ok(m, `${url}: the product page shows its picture`);
      assert.match((await agent.get('/shop').expect(200)).text, /<img class="thumb" src="\/shop\/image\/tent-2p\?w=80&amp;v=/);
      const img = await agent.get(m[1]!.replace(/&amp;/g, '&')).expect(200);
      assert.match(img.headers['content-type']!, /^image\/svg\+xml/);
      assert.equal(img.headers['cache-control'], 'public, max-age=31536000, immutable');
      const svg = img.body.toString();
      assert.match(svg, /^<svg width="320" height="240" xmlns/);
      const small = (await agent.get(`/shop/image/tent-2p?w=80&v=${m[2]}`).expect(200)).body.toString();
      assert.match(small, /^<svg width="80" height="60" /);
      assert.ok(small.length < 600, 'a tiny picture');
      const again = await agent.get(`/shop/image/tent-2p?w=320&v=${m[2]}`).set('If-None-Match', img.headers.etag!);
      assert.equal(again.status, 304);
      const stale = await agent.get('/shop/image/tent-2p?w=320&v=old').expect(200);
      assert.equal(stale.headers['cache-control'], 'public, no-cache', 'an old version is revalidated, never kept a year');
      assert.equal((await agent.get('/shop/image/tent-2p?w=333')).status, 400);
      assert.equal((await agent.get('/shop/image/no-such-product?w=80').set('accept', 'text/html')).status, 404);
    }
  });

  it('is usable at 390 px: no page wider than the screen, payment choices beside their labels, the fee before "Place order"', async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page: Page = await context.newPage();
    const url = south().url;
    await page.goto(`${url}/account/register`);
    await page.fill('input[name=email]', 'narrow@example.org');
    await page.fill('input[name=name]', 'Nora Narrow');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    const widthOf = () => page.evaluate<number>('document.documentElement.scrollWidth');
    for (const id of ['tarp-3x3', 'mug-ti']) {
      await page.goto(`${url}/shop/product/${id}`);
      assert.ok((await widthOf()) <= 390, `product page ${id} is ${await widthOf()} px wide`);
      await page.click('.add-to-cart button');
    }
    for (const path of ['/shop', '/shop/category/shelter', '/cart', '/account']) {
      await page.goto(`${url}${path}`);
      assert.ok((await widthOf()) <= 390, `${path} is ${await widthOf()} px wide`);
    }
    await page.goto(`${url}/cart`);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'shop-390-cart.png'), fullPage: true });
    await page.goto(`${url}/checkout?group=consult`);
    assert.ok((await widthOf()) <= 390, `the checkout is ${await widthOf()} px wide`);
    assert.equal(await page.textContent('.handling-fee'), 'Handling fee — 3.00 EUR');
    assert.match((await page.textContent('button[type=submit]'))!, /Place order · 72\.00 EUR/);
    const labels = await page.$$('label.settlement');
    assert.equal(labels.length, 3);
    for (const label of labels) {
      const radio = (await (await label.$('input'))!.boundingBox())!;
      const text = (await (await label.$('span'))!.boundingBox())!;
      assert.ok(Math.abs(radio.y + radio.height / 2 - (text.y + text.height / 2)) < 8, 'the radio sits on its label’s line');
      assert.ok(text.x > radio.x && text.x - (radio.x + radio.width) < 24, 'and right beside it');
    }
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'shop-390-checkout.png'), fullPage: true });
    await context.close();
  });
});
