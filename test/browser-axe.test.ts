import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from './helpers/demo.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { tempDir } from './helpers/network.js';

/** One page's serious or critical violations, in words a reader can act on. */
interface Finding {
  url: string;
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * The accessibility sweep: axe-core (WCAG 2 A and AA rules) over every console
 * page and every shop page of the demo network (what `npm start` runs), in
 * Chromium, logged in where the page needs it. No serious or critical
 * violation may remain; the test lists each one found with its page and element.
 */
describe('accessibility: axe-core over every console and shop page of the demo, no serious or critical violations', function () {
  this.timeout(240_000);
  const dir = tempDir('tieup-axe-');
  const token = 'axe-sweep-test-token-0123456789';
  let demo: RunningDemo;
  let main = '';
  let north = '';
  let south = '';
  let browser: Browser;
  const findings: Finding[] = [];
  const checked: string[] = [];

  const until = async (cond: () => Promise<boolean>, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const sweep = async (p: Page, url: string) => {
    await p.goto(url);
    const r = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    checked.push(url);
    for (const v of r.violations)
      if (v.impact === 'serious' || v.impact === 'critical') findings.push({ url, rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) });
  };
  /** A link to data (JSON, CSV), not a page. */
  const isDownload = (u: string) => u.includes('/api/') || /\.(csv|json)(\?|$)|[?&]format=(csv|json)/.test(u);
  /** The links a page holds (resolved against it), read from Node without DOM types. */
  const hrefs = async (p: Page, selector: string): Promise<string[]> => {
    const out: string[] = [];
    for (const l of await p.locator(selector).all()) {
      const h = await l.getAttribute('href');
      if (h) out.push(new URL(h, p.url()).href.replace(/#.*$/, ''));
    }
    return out;
  };
  const login = async (p: Page, url: string, fields: Record<string, string>) => {
    await p.goto(url);
    for (const [k, v] of Object.entries(fields)) await p.fill(`input[name=${k}]`, v);
    await Promise.all([p.waitForNavigation(), p.click('main button[type=submit]')]);
  };
  /** Every entry of a console's navigation, each swept, and the pages they link to one level down (detail pages). */
  const sweepConsole = async (ctx: BrowserContext, base: string, path: string, user: string, password: string) => {
    const p = await ctx.newPage();
    await sweep(p, `${base}${path}/login`);
    await login(p, `${base}${path}/login`, { username: user, password });
    const nav = await hrefs(p, '.console-nav a');
    const details = new Set<string>();
    for (const href of nav) {
      await sweep(p, href);
      for (const d of await hrefs(p, `main a[href^="${path}/"]`)) if (!nav.includes(d) && !isDownload(d)) details.add(d);
    }
    for (const d of [...details].slice(0, 25)) await sweep(p, d);
    await p.close();
  };

  before(async () => {
    demo = await startDemo({ dir, token });
    ({ main, north, south } = demo);
    await until(async () => (await fetch(`${north}/shop`)).status === 200, 30000, 'north serving its shop');
    await until(async () => ((await api(south, 'GET', '/manage/api/pending')).body.pending as unknown[] | undefined)?.length === 1, 30000, 'south listing the first release');
    const first = ((await api(south, 'GET', '/manage/api/pending')).body.pending as { release: number }[])[0]!.release;
    assert.equal((await api(south, 'POST', `/manage/api/pending/${first}/approve`, {})).status, 200);
    await until(async () => (await fetch(`${south}/shop`)).status === 200, 30000, 'south serving its shop');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop({ kill: true });
  });

  it('every shop page of the three sites, anonymous and logged in with an order placed', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const p = await ctx.newPage();
    for (const site of [main, north, south]) {
      for (const path of ['/shop', '/shop?q=tent', '/shop/category/shelter', '/shop/product/tent-2p', '/shop/product/mug-ti', '/cart', '/account/login', '/account/register'])
        await sweep(p, `${site}${path}`);
    }
    // A shopper with an order: the cart, checkout, the order's page and the account page with both order lists.
    await login(p, `${south}/account/register`, { email: `axe-${Date.now()}@example.org`, name: 'Axe Shopper', password: 'a long enough passphrase' });
    await p.goto(`${south}/shop/product/mug-ti`);
    await Promise.all([p.waitForNavigation(), p.click('main form[action="/cart/add"] button[type=submit]')]);
    await sweep(p, `${south}/cart`);
    const checkout = await hrefs(p, 'main a[href^="/checkout?group="]');
    assert.ok(checkout.length > 0, 'the cart offers a checkout');
    await sweep(p, checkout[0]!);
    await p.check('input[value=pickup]');
    await Promise.all([p.waitForNavigation(), p.click('main form[action="/checkout"] button[type=submit]')]);
    assert.match(p.url(), /\/orders\/SOUTH-/);
    await sweep(p, p.url());
    // An entrusted order too, so the main console has an order page to sweep.
    await p.goto(`${south}/shop/product/bag-down`);
    await Promise.all([p.waitForNavigation(), p.click('main form[action="/cart/add"] button[type=submit]')]);
    await p.goto(`${south}/checkout?group=central`);
    for (const [k, v] of Object.entries({ name: 'Axe Shopper', street: '1 Harbour Road', postcode: '12345', city: 'Porthaven', country: 'Germany' })) await p.fill(`main input[name=${k}]`, v);
    await p.check('input[value=pay_on_delivery]');
    await Promise.all([p.waitForNavigation(), p.click('main form[action="/checkout"] button[type=submit]')]);
    assert.match(p.url(), /\/orders\/SOUTH-/);
    await sweep(p, `${south}/account`);
    await p.screenshot({ path: join(SCREENSHOT_DIR, 'axe-south-order.png'), fullPage: true });
    await ctx.close();
  });

  it('every console page of the main site and both partners, detail pages included', async function () {
    // Some 150 pages, each loaded and analysed: a bound on a hung page, not on how fast this machine is.
    this.timeout(900_000);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await sweepConsole(ctx, main, '/admin', 'operator', 'tieup-demo-operator');
    const nctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await sweepConsole(nctx, north, '/manage', 'manager', 'tieup-demo-manager');
    const sctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await sweepConsole(sctx, south, '/manage', 'manager', 'tieup-demo-manager');
    for (const c of [ctx, nctx, sctx]) await c.close();
  });

  it('found no serious or critical violation', () => {
    assert.ok(checked.length > 40, `swept ${checked.length} pages`);
    assert.ok(
      checked.some((u) => /\/admin\/orders\/M-\d+$/.test(u)),
      'an order page of the main console was swept',
    );
    const report = findings.map((f) => `${f.impact} ${f.rule} (${f.help}) on ${f.url}: ${f.targets.join(' | ')}`);
    assert.deepEqual(report, [], `${findings.length} serious or critical violations on ${new Set(findings.map((f) => f.url)).size} of ${checked.length} pages:\n${report.join('\n')}`);
  });
});
