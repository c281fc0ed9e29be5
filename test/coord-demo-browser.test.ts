import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from './helpers/demo.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { tempDir } from './helpers/network.js';

/**
 * Coordination end to end on the demo network (what `npm start` runs), in a
 * real browser: a shopper on north opens the recipe, unticks a component,
 * picks "cheapest total", sees a plan across two suppliers with amounts in
 * their units, and orders with delivery from one and pickup at the other; the
 * grocer's console shows its order without the shopper's address, and the
 * delivery service's console shows the address.
 */
describe('coord demo: getting the components of a recipe in a browser', function () {
  this.timeout(180_000);
  const dir = tempDir('tieup-demo-coord-');
  const token = 'demo-coord-test-token-0123456789';
  let demo: RunningDemo;
  let main = '';
  let north = '';
  let grocer = '';
  let courier = '';
  let browser: Browser;
  const email = `cook-${Date.now()}@example.org`;
  const password = 'a long demo passphrase';
  const address = '7 Private Lane, Hometown';
  const phone = '+44 20 7946 0000';

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `demo-coord-${name}.png`), fullPage: true });

  before(async () => {
    demo = await startDemo({ dir, token });
    ({ main, north } = demo);
    [grocer, courier] = demo.coord as [string, string, string];
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('prints the peers and the how-to pages', () => {
    assert.match(demo.output(), /grocer +http:\/\/127\.0\.0\.1:\d+ +console .*\(Corner Grocer \(supplier-only site\)\)/);
    assert.match(demo.output(), /courier .*\(delivery service\)/);
    assert.match(demo.output(), /payagent .*\(settlement agent\)/);
    assert.match(demo.output(), /howto\/campfire-pancakes/);
  });

  it('a shopper on north orders the recipe across two suppliers; each party sees only its part', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    // One account for the network, at the main site (the central account coordination uses).
    await p.goto(`${main}/account/register`);
    await p.fill('input[name=email]', email);
    await p.fill('input[name=name]', 'Ada Cook');
    await p.fill('input[name=password]', password);
    await p.click('button[type=submit]');

    // The recipe at north (a tie-up page: it may take a push to arrive).
    const endAt = Date.now() + 60_000;
    for (;;) {
      const r = await p.goto(`${north}/howto/campfire-pancakes`);
      if (r?.status() === 200) break;
      if (Date.now() > endAt) assert.fail('the recipe never reached north');
      await new Promise((res) => setTimeout(res, 1000));
    }
    await shot(p, '1-recipe');
    await p.click('a:text("Get the components")');
    await p.waitForURL((u) => u.pathname === '/coord/start');
    assert.equal(new URL(p.url()).origin, main, 'the hand-over lands at the main site');
    await shot(p, '2-picking');
    // Every non-optional component is ticked; untick the butter (the shopper has some).
    const butter = p.locator('tr[data-component="butter"] input[type=checkbox]');
    assert.equal(await butter.isChecked(), true);
    await butter.uncheck();
    await p.selectOption('select[name=priority1]', 'cheapest');
    // The preferred-supplier choice names suppliers as shoppers know them, never by peer id.
    const preferred = await p.locator('select[name=preferredSupplier] option').allInnerTexts();
    assert.ok(preferred.includes('Corner Grocer') && preferred.includes('South Market'), preferred.join(', '));
    assert.ok(!preferred.some((o) => /^(grocer|north|south|main)$/.test(o)), preferred.join(', '));
    await p.click('button:text("Ask the suppliers")');
    await p.waitForSelector('.coord-plan');
    await shot(p, '3-plan');

    const parts = p.locator('.coord-part');
    assert.equal(await parts.count(), 2, 'the plan uses two suppliers');
    const suppliers = (await parts.evaluateAll((els) => els.map((e) => e.getAttribute('data-supplier')))).sort();
    assert.deepEqual(suppliers, ['grocer', 'south']);
    // Amounts in each supplier's unit and packs.
    const milk = await p.locator('.coord-part[data-supplier=grocer] li[data-component=milk]').innerText();
    assert.match(milk, /500 ml milk -> 1 x 1 l bottle/);
    const eggs = await p.locator('.coord-part[data-supplier=grocer] li[data-component=eggs]').innerText();
    assert.match(eggs, /^\d+ eggs -> 1 x box of 6 \(\d+ left over\)/, 'a count reads "2 eggs", never "2 each eggs"');
    const flour = await p.locator('.coord-part[data-supplier=south] li[data-component=flour]').innerText();
    assert.match(flour, /250 g flour -> 1 x 500 g bag/);
    assert.equal(await p.locator('li[data-component=butter]').count(), 0, 'the unticked component is not bought');
    const totalShown = async () => (await p.locator('.coord-summary tfoot strong').innerText()).trim();
    const proposed = await totalShown();

    // Delivery from the grocer (a 2.90 EUR fee), pickup at south. Placing the orders at once does not order at the
    // total shown before: the page comes back with the fee as a line and the new total, and nothing is ordered.
    await p.selectOption('select[name=f_grocer]', 'delivery');
    await p.selectOption('select[name=f_south]', 'pickup');
    await p.fill('input[name=address]', address);
    await p.fill('input[name=phone]', phone);
    await p.click('button:text("Place the orders")');
    await p.waitForSelector('.coord-plan p.notice');
    assert.match(await p.locator('.coord-plan p.notice').first().innerText(), /Nothing was ordered/);
    assert.match(await p.locator('.coord-part[data-supplier=grocer] li.fee').innerText(), /Delivery fee 2\.90 EUR/);
    const shown = await totalShown();
    const cents = (t: string) => Math.round(Number(t.replace(/ EUR$/, '')) * 100);
    assert.equal(cents(shown), cents(proposed) + 290, `the fee is in the total shown (${proposed} -> ${shown})`);
    assert.match(await p.locator('.coord-plan p.total').innerText(), new RegExp(`Total to pay ${shown.replace('.', '\\.')}`));
    await shot(p, '3b-plan-with-delivery');
    assert.equal(await p.inputValue('input[name=address]'), address, 'what was typed is kept');
    await p.click('button:text("Place the orders")');
    await p.waitForSelector('.coord-group');
    await shot(p, '4-group');
    // The total charged is the total shown.
    assert.match(await p.locator('.coord-group').innerText(), new RegExp(`Total ${shown.replace('.', '\\.')}\\.`));
    const grocerRow = await p.locator('tr[data-supplier=grocer]').innerText();
    assert.match(grocerRow, /Delivery/);
    const southRow = await p.locator('tr[data-supplier=south]').innerText();
    assert.match(southRow, /Pickup at South Market/);

    // The grocer's console: its order, items and hand-over, never the shopper's address or phone.
    const g = await ctx.newPage();
    await g.goto(`${grocer}/manage/login`);
    await g.fill('input[name=username]', 'manager');
    await g.fill('input[name=password]', 'tieup-demo-manager');
    await g.click('button[type=submit]');
    await g.waitForURL((u) => !u.pathname.endsWith('/login'));
    await g.goto(`${grocer}/manage/coord/supply`);
    const orderRow = g.locator('tr[data-order]').first();
    const rowText = await orderRow.innerText();
    assert.match(rowText, /Free-range eggs/);
    assert.match(rowText, /Delivery service collects/);
    const page = await g.content();
    assert.ok(!page.includes(address), 'the grocer sees no address');
    assert.ok(!page.includes(phone), 'the grocer sees no phone number');
    assert.ok(!page.includes('Ada Cook'), 'a delivery order carries no name to the grocer');
    await shot(g, '5-grocer');
    await g.click('tr[data-order] button[value=accept]');
    await g.waitForSelector('p.notice');

    // The delivery service's console: the booking with the address and phone (booked once the grocer accepted).
    const d = await ctx.newPage();
    await d.goto(`${courier}/manage/login`);
    await d.fill('input[name=username]', 'manager');
    await d.fill('input[name=password]', 'tieup-demo-manager');
    await d.click('button[type=submit]');
    await d.waitForURL((u) => !u.pathname.endsWith('/login'));
    const until = Date.now() + 20_000;
    for (;;) {
      await d.goto(`${courier}/manage/deliveries`);
      if ((await d.locator('tr[data-reference]').count()) > 0) break;
      if (Date.now() > until) assert.fail('no delivery was booked');
      await new Promise((res) => setTimeout(res, 300));
    }
    const booking = await d.locator('tr[data-reference]').first().innerText();
    assert.ok(booking.includes(address), 'the delivery service has the drop-off address');
    assert.ok(booking.includes(phone), 'and the phone number');
    assert.match(booking, /Corner Grocer, 22 Mill Street/);
    // Cash on delivery: the courier is shown the one sum to collect at the door (the grocer's part), and no item price.
    const grocerPart = (await p.locator('tr[data-supplier=grocer] td.num').innerText()).trim();
    assert.equal((await d.locator('tr[data-reference] td.collect').first().innerText()).trim(), grocerPart);
    assert.doesNotMatch(booking, /2\.99|1\.19/, 'no item price reaches the delivery service');
    await shot(d, '6-courier');

    // The shopper sees the grocer's acceptance.
    await p.reload();
    assert.match(await p.locator('tr[data-supplier=grocer] .state').innerText(), /accepted/);
    await ctx.close();
  });
});
