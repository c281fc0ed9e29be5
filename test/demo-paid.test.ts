import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { tempDir } from './helpers/network.js';
import { approveSouthsFirstRelease, startDemo, type RunningDemo } from './helpers/demo.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';

/**
 * Paid content end to end on the demo network (what `npm start` runs), in a
 * real browser: reading at north, a refused altered key, the supplier's sales
 * report at the portal, and the two partners' statements reconciled / held.
 */
describe('the demo network: paid content in a browser', function () {
  this.timeout(120000);
  const dir = tempDir('tieup-demo-paid-');
  const token = 'demo-paid-test-token-0123456789';
  let demo: RunningDemo;
  let main = '';
  let north = '';
  let south = '';
  let browser: Browser;
  const email = `reader-${Date.now()}@example.org`;
  const password = 'a long demo passphrase';
  const period = new Date().toISOString().slice(0, 7);
  const today = new Date().toISOString().slice(0, 10);

  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    let json: any; // any: the test reads arbitrary JSON
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: r.status, body: json };
  };
  const until = async (cond: () => Promise<boolean>, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `demo-paid-${name}.png`), fullPage: true });
  const login = async (p: Page, base: string, path: string, fields: Record<string, string>) => {
    await p.goto(`${base}${path}`);
    for (const [k, v] of Object.entries(fields)) await p.fill(`input[name=${k}]`, v);
    await p.click('button[type=submit]');
  };

  before(async () => {
    demo = await startDemo({
      dir,
      token,
      env: {
        // A short first-use window, so a key left unopened expires within the test (the default is 120 s).
        TIEUP_PAID_KEY_WINDOW_SECONDS: '3',
      },
    });
    ({ main, north, south } = demo);
    await approveSouthsFirstRelease(demo, token, '/paid/trail-guide', '/paid/weather-letter');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop({ kill: true });
  });

  it("prints both suppliers' portal logins, and their party ids are the suppliers the items name", async () => {
    assert.match(demo.output(), /login supplier@demo\.test \/ tieup-demo-supplier +\(Fernhill Press, supplier p-000000000001 of trail-guide\)/);
    assert.match(demo.output(), /login highcloud@demo\.test \/ tieup-demo-supplier +\(Highcloud Data, supplier p-000000000002 of weather-letter, summit-bets\)/);
    const items = (await api(main, 'GET', '/admin/api/paid/items')).body.items as { id: string; supplier: string }[];
    assert.deepEqual(Object.fromEntries(items.map((i) => [i.id, i.supplier])), { 'summit-bets': 'p-000000000002', 'trail-guide': 'p-000000000001', 'weather-letter': 'p-000000000002' });
    const contracts = (await api(main, 'GET', '/admin/api/paid/supplier-contracts')).body.contracts as { contract: { supplier: string; party: string } }[];
    assert.deepEqual(contracts.map((c) => [c.contract.supplier, c.contract.party]).sort(), [
      ['p-000000000001', 'p-000000000001'],
      ['p-000000000002', 'p-000000000002'],
    ]);
  });

  let keyUrl = '';
  it('a shopper logged in at north presses "Read" on a per-access item and follows links three pages deep', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const p = await ctx.newPage();
    await login(p, north, '/account/register', { email, name: 'Paid Reader', password });
    await p.waitForURL(`${north}/account`);
    await p.goto(`${north}/paid/trail-guide`);
    await shot(p, '1-north-entry');
    await p.click('.paid-actions button:text-is("Read")');
    await p.waitForURL(new RegExp(`^${main}/paid/[A-Za-z0-9_.-]+/trail-guide/$`));
    keyUrl = p.url();
    assert.match(await p.locator('main h1').innerText(), /The Ridge Trail guide/);
    await p.click('text=Stage 1: the saddle');
    await p.waitForURL(`${keyUrl}stages/one`);
    assert.match(await p.locator('main').innerText(), /From the car park/);
    await p.click('text=Next: the long crest');
    await p.waitForURL(`${keyUrl}stages/two`);
    assert.match(await p.locator('main').innerText(), /14 km of exposed ridge/);
    await shot(p, '2-main-stage-two');
    await p.click('text=Back to the guide');
    await p.waitForURL(keyUrl);
    // One key, one charge, however many pages were read.
    const keys = (await api(main, 'GET', '/admin/api/paid/keys')).body.keys as { item: string; amount: number }[];
    assert.equal(keys.filter((k) => k.item === 'trail-guide').length, 1);
    await ctx.close();
  });

  it("an altered key shows the readable refusal page, whose link goes back to north's entry page", async () => {
    assert.ok(keyUrl);
    const m = /\/paid\/([^/]+)\/trail-guide\/$/.exec(keyUrl)!;
    const key = m[1]!;
    // Change one character of the signature (the claims stay readable, so the page knows which shop sold it).
    const i = key.length - 10;
    const altered = key.slice(0, i) + (key[i] === 'A' ? 'B' : 'A') + key.slice(i + 1);
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const p = await ctx.newPage();
    const res = await p.goto(`${main}/paid/${altered}/trail-guide/stages/one`);
    assert.equal(res!.status(), 403);
    assert.equal(await p.locator('main h1').innerText(), 'This link is not valid');
    await shot(p, '3-refused');
    const back = p.locator('a[data-back-to-partner]');
    assert.equal(await back.getAttribute('href'), `${north}/paid/trail-guide`);
    await back.click();
    await p.waitForURL(`${north}/paid/trail-guide`);
    assert.match(await p.locator('main').innerText(), /The Ridge Trail guide/);
    await ctx.close();
  });

  it('a key not opened within its window shows "This link has expired" (410), whose link back at north gets a fresh one', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const p = await ctx.newPage();
    await login(p, north, '/account/login', { email, password });
    await p.waitForURL(`${north}/account`);
    await p.goto(`${north}/paid/trail-guide`);
    // Ask for a key but do not open it: north's answer (a redirect to the main site) is held back, its address kept.
    let held = '';
    await ctx.route(`${north}/paid/**`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const answer = await route.fetch({ maxRedirects: 0 });
      held = new URL(answer.headers()['location'] ?? '', north).href;
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>held</title><p>held</p>' });
    });
    await p.click('.paid-actions button:text-is("Read")');
    await until(async () => held !== '', 10000, 'the key link');
    await ctx.unroute(`${north}/paid/**`);
    assert.match(held, new RegExp(`^${main}/paid/[A-Za-z0-9_.-]+/trail-guide/$`));
    await new Promise((r) => setTimeout(r, 4000));
    const res = await p.goto(held);
    assert.equal(res!.status(), 410);
    assert.equal(await p.locator('main h1').innerText(), 'This link has expired');
    await shot(p, '3b-expired');
    const back = p.locator('a[data-back-to-partner]');
    assert.equal(await back.getAttribute('href'), `${north}/paid/trail-guide`);
    await back.click();
    await p.waitForURL(`${north}/paid/trail-guide`);
    // Reading again is a new key, opened at once.
    await p.click('.paid-actions button:text-is("Read")');
    await p.waitForURL(new RegExp(`^${main}/paid/[A-Za-z0-9_.-]+/trail-guide/$`));
    assert.match(await p.locator('main h1').innerText(), /The Ridge Trail guide/);
    assert.notEqual(p.url(), held);
    await ctx.close();
  });

  it('the same shopper subscribes to the monthly item at south and reads it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const p = await ctx.newPage();
    await login(p, south, '/account/login?next=/paid/weather-letter', { email, password });
    await p.waitForURL(`${south}/paid/weather-letter`);
    await p.click('.paid-actions button:text-is("Subscribe")');
    await p.waitForSelector('.paid-actions button:text-is("Read")');
    await p.click('.paid-actions button:text-is("Read")');
    await p.waitForURL(new RegExp(`^${main}/paid/[A-Za-z0-9_.-]+/weather-letter/$`));
    await shot(p, '4-main-weather-letter');
    await ctx.close();
  });

  it("the supplier logs into the portal and sees today's sales report of its own item, with north's access", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const p = await ctx.newPage();
    await login(p, main, '/portal/login', { email: 'supplier@demo.test', password: 'tieup-demo-supplier' });
    await p.waitForURL((u) => !u.pathname.endsWith('/login'));
    await p.goto(`${main}/portal/sales/?cycle=daily&period=${today}`);
    const card = p.locator('section[data-item="trail-guide"]');
    assert.equal(await card.count(), 1);
    // Accesses of north's line: three keys (one read, one left to expire, one asked for again), each charged.
    const row = card.locator('tr[data-partner="north"] td');
    assert.equal((await row.nth(1).innerText()).trim(), '3');
    assert.equal(await p.locator('section[data-item="weather-letter"]').count(), 0, "another supplier's item is not shown");
    await shot(p, '5-portal-sales');
    await ctx.close();
  });

  it("north's statement from its records is reconciled; south's with a planted line is held", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const p = await ctx.newPage();
    await login(p, north, '/manage/login', { username: 'manager', password: 'tieup-demo-manager' });
    await p.waitForURL((u) => !u.pathname.endsWith('/login'));
    await p.goto(`${north}/manage/paid/reconciliation?period=${period}`);
    await p.fill('input[name=period]', period);
    await p.click('form[action="/manage/paid/reconciliation"][method=post] button[type=submit]');
    await p.waitForSelector('#reconciliation');
    assert.equal(await p.locator('#reconciliation').getAttribute('data-status'), 'reconciled');
    await shot(p, '6-north-reconciled');

    // South's own records as CSV, plus a charge the main site never issued.
    const csv = (await api(south, 'GET', `/manage/api/paid/statements/${period}.csv`)).body as string;
    const member = csv.trim().split('\n')[1]!.split(',')[1]!;
    const planted = `${csv.trim()}\nsummit-bets,${member},${new Date().toISOString()},100\n`;
    const s = await ctx.newPage();
    await login(s, south, '/manage/login', { username: 'manager', password: 'tieup-demo-manager' });
    await s.waitForURL((u) => !u.pathname.endsWith('/login'));
    await s.goto(`${south}/manage/paid/reconciliation?period=${period}`);
    await s.fill('input[name=period]', period);
    await s.fill('textarea[name=csv]', planted);
    await s.click('form[action="/manage/paid/reconciliation"][method=post] button[type=submit]');
    await s.waitForSelector('#reconciliation');
    assert.equal(await s.locator('#reconciliation').getAttribute('data-status'), 'held');
    assert.equal(await s.locator('#reconciliation tr[data-status="missing_at_main"]').count(), 1);
    assert.match(await s.locator('#reconciliation tr[data-status="missing_at_main"]').innerText(), /summit-bets/);
    await shot(s, '7-south-held');

    // The operator's list shows both, as each partner sees them.
    const list = (await api(main, 'GET', `/admin/api/paid/reconciliations?period=${period}`)).body;
    const status = Object.fromEntries((list.statements as { partner: string; status: string }[]).map((x) => [x.partner, x.status]));
    assert.deepEqual(status, { north: 'reconciled', south: 'held' });
    await ctx.close();
  });
});
