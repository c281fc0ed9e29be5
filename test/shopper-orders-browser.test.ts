import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { TEST_PASSWORD } from './helpers/network.js';
import { Shopper, orderNumberOf } from './helpers/shopper.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

const PASSWORD = 'a long enough passphrase';
const SOUTH_SHOP = { handling: { default: 'entrust', rules: [{ category: 'kitchen', mode: 'local' }] }, consult: { checkStock: false, warehouse: 'central', handlingFee: 300 } };

/**
 * The two order journeys in Chromium: the operator fulfils an entrusted order
 * from its page (ship with a tracking reference, then cancel another with a
 * reason, confirmed first), and a shopper's account on the main site lists the
 * orders placed on south. Screenshots under test-output/.
 */
describe('shopper orders in a browser: the operator fulfils from the order page, one account lists two sites', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let mb: Mailbox;
  let browser: Browser;
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `shopper-orders-${name}.png`), fullPage: true });

  before(async () => {
    mb = await startMailbox();
    net = await startSyncNetwork([{ id: 'south', contract: { shop: SOUTH_SHOP } }], { smtpHost: '127.0.0.1', smtpPort: mb.port, noticePollMs: 20, noticeRetryBaseMs: 30 });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'active');
    await net.partners.south!.shop.refreshFromMain();
    await api(net.partners.south!.url, 'PUT', '/manage/api/stock/mug-ti', { onHand: 5 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await net.close();
    await mb.close();
  });

  it('ships an entrusted order with a tracking reference and cancels one with a reason, from the order page', async () => {
    const s = new Shopper(net.partners.south!.url);
    await s.register('browser@example.org', PASSWORD, 'Bea Browser');
    await s.add('bag-down');
    const first = net.partners.south!.shop.store.byNumber(orderNumberOf(await s.placeOrder('central')))!;
    await s.add('mat-foam');
    const second = net.partners.south!.shop.store.byNumber(orderNumberOf(await s.placeOrder('central')))!;
    await s.add('mug-ti');
    orderNumberOf(await s.placeOrder('shop'));

    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const p = await ctx.newPage();
    await p.goto(`${net.main.url}/admin/orders/${first.mainNumber}`);
    await p.waitForURL(/\/admin\/login/);
    await p.fill('input[name=username]', 'operator');
    await p.fill('input[name=password]', TEST_PASSWORD);
    await Promise.all([p.waitForNavigation(), p.click('main button[type=submit]')]);
    assert.equal(new URL(p.url()).pathname, `/admin/orders/${first.mainNumber}`, 'the login came back to the order');
    assert.equal(await p.locator('#partner-order').innerText(), first.number);
    await p.fill('input[name=tracking]', 'DHL 1234 5678');
    await Promise.all([p.waitForNavigation(), p.click('button:text-is("Ship")')]);
    assert.match(await p.locator('[role=status], .banner').first().innerText(), /is now shipped/);
    assert.match(await p.locator('#timeline').innerText(), /shipped by operator: tracking reference DHL 1234 5678/);
    await shot(p, '1-shipped');

    await p.goto(`${net.main.url}/admin/orders/${second.mainNumber}`);
    await p.fill('input[name=reason]', 'the shopper asked us to');
    await Promise.all([p.waitForNavigation(), p.click('button:text-is("Cancel order…")')]);
    assert.match(await p.locator('main').innerText(), /cannot be reopened/);
    await shot(p, '2-confirm-cancel');
    await Promise.all([p.waitForNavigation(), p.click('button.confirm-yes')]);
    assert.match(await p.locator('#timeline').innerText(), /cancelled by operator: the shopper asked us to/);
    assert.equal(await p.locator('input[name=state]').count(), 0, 'a cancelled order offers no action');
    await shot(p, '3-cancelled');
    await mb.waitFor((m) => m.subject === `Order ${second.mainNumber} cancelled` && /the shopper asked us to/.test(m.text));
    await ctx.close();
  });

  it('the shopper’s account on the main site lists the orders placed on south, where each was placed and who ships it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await ctx.newPage();
    await p.goto(`${net.main.url}/account/login`);
    await p.fill('input[name=email]', 'browser@example.org');
    await p.fill('input[name=password]', PASSWORD);
    await Promise.all([p.waitForNavigation(), p.click('main button[type=submit]')]);
    await p.goto(`${net.main.url}/account`);
    const block = await p.locator('section.network-orders').innerText();
    assert.match(block, /Your orders on other sites of the network/);
    assert.match(block, /SOUTH-\d{6}\s+south\s+south/, 'the mug: placed at south, shipped by south');
    assert.match(block, /M-\d{6} \(SOUTH-\d{6}\)\s+south\s+main/, 'the bag: placed at south, shipped by main, both numbers');
    await shot(p, '4-account-390px');
    await ctx.close();
  });
});
