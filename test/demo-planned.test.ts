import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodeMail } from '../cli/demo-mailbox.js';
import { startDemo, type RunningDemo } from './helpers/demo.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { tempDir } from './helpers/network.js';

/**
 * Planned pages end to end on the demo network (what `npm start` runs), in a
 * real browser: a planner applies and is approved, builds a page with the
 * assistant and opens it; a demo contributor contributes; the planner
 * accepts; a shopper on south buys the page and downloads the PDF; the
 * planner's and the contributor's portals show the sale and their shares.
 */
describe('the demo network: planned pages in a browser', function () {
  this.timeout(180_000);
  const dir = tempDir('tieup-demo-planned-');
  const token = 'demo-planned-test-token-0123456789';
  const partyPassword = 'a long planner passphrase';
  let demo: RunningDemo;
  let main = '';
  let south = '';
  let browser: Browser;
  let plannerCtx: BrowserContext;
  let planner: Page;
  let pageId = '';

  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
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
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `demo-planned-${name}.png`), fullPage: true });
  const mailTo = (email: string) =>
    readdirSync(join(dir, 'data', 'demo-mail'))
      .map((f) => readFileSync(join(dir, 'data', 'demo-mail', f), 'utf8'))
      .filter((raw) => raw.includes(email))
      .map((raw) => decodeMail(raw));
  const portalLogin = async (p: Page, email: string, password: string) => {
    await p.goto(`${main}/portal/login`);
    await p.fill('input[name=email]', email);
    await p.fill('input[name=password]', password);
    await p.click('main button[type=submit]');
    await p.waitForURL(`${main}/portal/`);
  };
  /** Pushes the latest release to south and approves it there (south holds releases for its manager). */
  const pushToSouth = async () => {
    const pushed = await api(main, 'POST', '/admin/api/partners/south/push', {});
    assert.ok(['pending', 'active', 'unchanged'].includes(pushed.body.outcome), JSON.stringify(pushed.body));
    const pending = (await api(south, 'GET', '/manage/api/pending')).body.pending as { release: number }[];
    for (const p of pending) assert.equal((await api(south, 'POST', `/manage/api/pending/${p.release}/approve`, {})).status, 200);
  };

  before(async () => {
    demo = await startDemo({ dir, token });
    ({ main, south } = demo);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('the demo has a planner with an open page and two contributors, and prints their logins', async () => {
    assert.match(demo.output(), /planner planner@demo\.test, contributors alice@demo\.test, bob@demo\.test, password tieup-demo-planner/);
    const pages = (await api(main, 'GET', '/admin/api/planned/pages?state=open')).body.pages as { id: string; title: string; contributions: number }[];
    assert.equal(pages.length, 1);
    assert.equal(pages[0]!.title, 'The Ridge, stage by stage');
    assert.equal(pages[0]!.contributions, 3);
    // What the README says: stages one and two on the page in stage order, Alice's stage three waiting for the planner.
    const id = pages[0]!.id;
    const pending = (await api(main, 'GET', `/admin/api/planned/contributions?page=${id}&state=pending`)).body.contributions as { title: string }[];
    assert.deepEqual(
      pending.map((c) => c.title),
      ['Stage three: down to the lake'],
    );
    const html = await (await fetch(`${main}/planned/${id}`)).text();
    assert.ok(html.includes('Stage one: the saddle') && html.indexOf('Stage one: the saddle') < html.indexOf('Stage two: the crest'), 'stage one comes before stage two');
    assert.match(html, /By Alice Walker[\s\S]*By Bob Climber/);
    // A bundle: the whole page costs less than its three stages one by one.
    assert.match(html, /the whole page 6\.00 EUR; one contribution 2\.50 EUR/);
  });

  it('a planner applies, the operator approves with a contract, and the planner sets a password from the e-mail', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const p = await ctx.newPage();
    await p.goto(`${main}/planned-apply`);
    await p.fill('input[name=displayName]', 'Lake Notes');
    await p.fill('input[name=email]', 'lake@example.org');
    await p.fill('input[name=slug]', 'lake-notes');
    await p.fill('textarea[name=pitch]', 'Notes on the lakes of the range, by the people who swim in them.');
    await p.click('form.account-form button[type=submit]');
    assert.match(await p.locator('main').innerText(), /Application received/);
    await shot(p, '1-applied');
    // The operator, in the console.
    await p.goto(`${main}/admin/login`);
    await p.fill('input[name=username]', 'operator');
    await p.fill('input[name=password]', 'tieup-demo-operator');
    await p.click('main button[type=submit]');
    await p.goto(`${main}/admin/planned`);
    const card = p.locator('section[data-application]', { hasText: 'Lake Notes' });
    await card.locator('input[name=plannerShare]').fill('45');
    await card.locator('button:text-is("Approve with this contract")').click();
    assert.match(await p.locator('main').innerText(), /Approved: Lake Notes is invited to the portal with contract version 1/);
    await shot(p, '2-approved');
    await ctx.close();

    await until(async () => mailTo('lake@example.org').some((m) => /\/portal\/invite\//.test(m.text)), 20_000, 'the invitation e-mail');
    const link = /(http:\/\/\S+\/portal\/invite\/[A-Za-z0-9_-]+)/.exec(mailTo('lake@example.org').find((m) => /\/portal\/invite\//.test(m.text))!.text)![1]!;
    plannerCtx = await browser.newContext({ viewport: { width: 1000, height: 900 }, acceptDownloads: true });
    planner = await plannerCtx.newPage();
    await planner.goto(link);
    await planner.fill('input[name=password]', partyPassword);
    await planner.fill('input[name=confirm]', partyPassword);
    await planner.click('main button[type=submit]');
    await portalLogin(planner, 'lake@example.org', partyPassword);
    await planner.click('nav a:text-is("Planned pages")');
    assert.match(await planner.locator('main').innerText(), /Contract version 1 in force/);
    assert.match(await planner.locator('main').innerText(), /planner share 45\.00%/);
  });

  it('the planner builds a page with the assistant, previews it and opens it', async () => {
    await planner.click('a:text-is("Make a new page with the assistant")');
    await planner.check('input[name=layout][value=article]');
    await planner.fill('input[name=title]', 'Swimming the high lakes');
    await planner.fill('textarea[name=description]', 'Where to get in, how cold it is, and what you see from the water.');
    await planner.fill('textarea[name=sections]', 'Lakes: one lake per contribution\nGear: what to bring');
    await planner.selectOption('select[name=currency]', 'EUR');
    await planner.fill('input[name=contributionPrice]', '1.50');
    await planner.fill('input[name=pagePrice]', '4.00');
    await planner.click('form.planned-assistant button[type=submit]');
    await planner.waitForURL(/\/portal\/planning\/pages\/pp-[0-9a-f]{12}$/);
    pageId = /pp-[0-9a-f]{12}/.exec(planner.url())![0];
    const preview = planner.locator('[data-preview]');
    assert.match(await preview.innerText(), /Swimming the high lakes/);
    assert.match(await preview.innerText(), /the whole page 4\.00/);
    await shot(planner, '3-preview');
    const look = await plannerCtx.newPage();
    await look.goto(`${planner.url()}/look`);
    assert.match(await look.locator('main h1').innerText(), /Swimming the high lakes/);
    assert.ok(await look.locator('link[href="/assets/brand.css"]').count(), "the preview is drawn in the brand's layout");
    await shot(look, '3b-preview-look');
    await look.close();
    assert.equal((await fetch(`${main}/planned/${pageId}`)).status, 404, 'not published before it is opened');
    await planner.click('button:text-is("Open the page")');
    await planner.waitForURL(`${main}/portal/planning/pages/${pageId}`);
    assert.match(await planner.locator('h1 [data-state]').innerText(), /open/);
    assert.equal((await fetch(`${main}/planned/${pageId}`)).status, 200);
  });

  let alice: Page;
  it('a demo contributor accepts the page terms and contributes; the planner accepts it from the queue', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    alice = await ctx.newPage();
    await portalLogin(alice, 'alice@demo.test', 'tieup-demo-planner');
    await alice.click('nav a:text-is("Contribute")');
    await alice.click('a:text-is("Swimming the high lakes")');
    assert.match(
      await alice.locator('[data-terms]').innerText(),
      /30\.00% of the price of each sale of one of your contributions on its own; when the whole page is sold, 30\.00% of the whole-page price is divided equally/,
    );
    await alice.click('button:text-is("I accept these terms")');
    await alice.selectOption('select[name=section]', 'lakes');
    await alice.fill('input[name=title]', 'Blue tarn');
    await alice.fill('input[name=teaser]', 'The coldest and the clearest.');
    await alice.fill('textarea[name=body]', 'Get in from the flat rock on the north shore. BLUE-TARN-PAID-TEXT: twelve degrees in August.');
    await alice.click('button:text-is("Send for review")');
    await alice.waitForURL(/\/portal\/contribute\/contributions\/pc-[0-9a-f]{12}$/);
    assert.match(await alice.locator('[data-state]').innerText(), /pending/);
    await shot(alice, '4-contributed');

    await planner.goto(`${main}/portal/planning/queue`);
    const card = planner.locator('section[data-contribution]', { hasText: 'Blue tarn' });
    await card.locator('button:text-is("Accept")').click();
    await planner.waitForURL(`${main}/portal/planning/queue`);
    const page = await (await fetch(`${main}/planned/${pageId}`)).text();
    assert.match(page, /Blue tarn/);
    assert.match(page, /The coldest and the clearest\./);
    assert.doesNotMatch(page, /BLUE-TARN-PAID-TEXT/);
  });

  it('a shopper on south buys the page (the planner is the seller) and downloads the PDF', async () => {
    await pushToSouth();
    await until(async () => (await fetch(`${south}/planned/${pageId}`)).status === 200, 30_000, 'south serving the page');
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 }, acceptDownloads: true });
    const p = await ctx.newPage();
    await p.goto(`${south}/account/register`);
    await p.fill('input[name=email]', `swimmer-${Date.now()}@example.org`);
    await p.fill('input[name=name]', 'Sam Swimmer');
    await p.fill('input[name=password]', 'a long swimmer passphrase');
    await p.click('main button[type=submit]');
    await p.waitForURL(`${south}/account`);
    await p.goto(`${south}/planned/${pageId}`);
    await shot(p, '5-south-page');
    await p.click('a.planned-buy:has-text("Buy the whole page")');
    assert.equal(await p.locator('[data-seller]').innerText(), 'Lake Notes');
    assert.match(await p.locator('[data-price]').innerText(), /4\.00/);
    await p.click('button:has-text("Buy for")');
    await p.waitForURL(new RegExp(`^${south}/account/planned/po-[0-9a-f]{16}$`));
    assert.match(await p.locator('main').innerText(), /BLUE-TARN-PAID-TEXT/);
    assert.equal(await p.locator('.planned-receipt [data-seller]').innerText(), 'Lake Notes');
    await shot(p, '6-bought');
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('a:text-is("PDF download")')]);
    const path = await download.path();
    assert.equal(readFileSync(path).subarray(0, 5).toString('latin1'), '%PDF-');
    const orders = (await api(main, 'GET', '/admin/api/planned/orders')).body.orders as { site: string; pageId: string; amount: number }[];
    assert.ok(orders.some((o) => o.site === 'south' && o.pageId === pageId && o.amount === 400));
    await ctx.close();
  });

  it("the planner's and the contributor's portals show the sale and their shares", async () => {
    await planner.goto(`${main}/portal/planning/totals`);
    const totals = planner.locator(`table.planned-totals tr[data-page="${pageId}"]`);
    assert.equal(await totals.locator('[data-sales]').innerText(), '1');
    assert.match(await totals.locator('[data-downloads]').innerText(), /^[1-9]/);
    // 45% of 4.00 EUR.
    assert.match(await planner.locator('.planned-statement').innerText(), /1\.80/);
    await shot(planner, '7-planner-totals');
    await alice.goto(`${main}/portal/contribute/totals`);
    const line = alice.locator('table.planned-totals tr[data-contribution]');
    assert.equal(await line.count(), 1, 'only her own contribution to this page sold');
    assert.equal(await line.locator('[data-sales]').innerText(), '1');
    // 30% of the page's 4.00 EUR, shared among its one contribution.
    assert.match(await alice.locator('.planned-statement').innerText(), /1\.20/);
    await shot(alice, '8-contributor-totals');
  });
});
