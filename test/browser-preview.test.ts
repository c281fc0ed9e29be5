import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { TEST_PASSWORD } from './helpers/network.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

// The test's tsconfig has no DOM types: the browser-side code is passed as source.
// The test is compiled without the DOM library: the page's getComputedStyle is reached through globalThis.
type Styles = { getComputedStyle(e: unknown): { color: string; backgroundColor: string } };
const style = (l: Locator, prop: 'color' | 'backgroundColor') => l.evaluate((e, p) => (globalThis as unknown as Styles).getComputedStyle(e)[p], prop);

describe('browser: a partner before its first release, and the manager previewing a CSS change', function () {
  this.timeout(90000);
  let net: SyncNetwork;
  let browser: Browser;
  const south = () => net.partners.south!;

  before(async () => {
    net = await startSyncNetwork([
      {
        id: 'south',
        contract: { sync: { requiresApproval: true } },
        look: { siteName: 'South Market', colours: { primary: '#c2571a' }, contact: 'South Market · covered market, stall 14' },
        originals: { 'visit-us.md': '---\ntitle: Visit us\nnav: 5\n---\n# Visit South Market\n\nFind us at the covered market.\n' },
      },
    ]);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await net.close();
  });

  async function login(page: Page, base: string) {
    await page.goto(`${base}/manage/login`);
    await page.fill('input[name=username]', 'manager');
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/manage/`);
  }

  it('south shows its own home, in its own look, at / before any release is approved (not a 404)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await ctx.newPage();
    const res = await page.goto(`${south().url}/`);
    assert.equal(res!.status(), 200);
    assert.equal(await page.locator('h1').innerText(), 'South Market');
    assert.match(await page.locator('main').innerText(), /covered market, stall 14/);
    // Its own pages are linked from its home, and its colour is the header's.
    await page.locator('main a', { hasText: 'Visit us' }).click();
    await page.waitForURL(`${south().url}/visit-us`);
    assert.match(await page.locator('h1').innerText(), /Visit South Market/);
    await page.goto(`${south().url}/`);
    assert.equal(await style(page.locator('header'), 'backgroundColor'), 'rgb(194, 87, 26)');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'south-home-before-first-approval.png'), fullPage: true });
    await ctx.close();
  });

  it('serves a favicon on both sites without counting it as a page access', async () => {
    for (const site of [net.main, south()]) {
      const before = site.ctx.log.size + site.ctx.log.pendingCount;
      for (const path of ['/favicon.ico', '/favicon.svg']) {
        const r = await fetch(`${site.url}${path}`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^image\/svg\+xml/);
        assert.match(await r.text(), /^<svg /);
      }
      assert.equal(site.ctx.log.size + site.ctx.log.pendingCount, before);
    }
  });

  it("previews a pending CSS change with the release's own CSS; links stay in the preview; Back to releases goes back; the page is valid HTML", async () => {
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'first' });
    await api(net.main.url, 'POST', '/admin/api/partners/south/push', {});
    await api(south().url, 'POST', '/manage/api/pending/1/approve', {});
    const css = readFileSync(join(net.contentDir, 'assets', 'brand.css'), 'utf8');
    net.write('assets/brand.css', css + '\n.page h1 { color: rgb(10, 120, 30); }\n');
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'Green headings' });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'pending');

    const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await ctx.newPage();
    await login(page, south().url);
    await page.goto(`${south().url}/manage/sync`);
    const card = page.locator('section.pending-card[data-release="2"]');
    await card.locator('a', { hasText: 'Open a preview' }).click();
    await page.waitForURL(`${south().url}/manage/preview/2/`);
    const h1Colour = () => style(page.locator('main h1').first(), 'color');
    assert.equal(await h1Colour(), 'rgb(10, 120, 30)');
    assert.equal(await page.locator('link[rel=stylesheet]').getAttribute('href'), '/manage/preview/2/assets/brand.css');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'partner-preview-new-css.png'), fullPage: true });

    // A link of the release's menu stays inside the preview, with the new CSS.
    await page.locator('header nav a', { hasText: 'About' }).first().click();
    await page.waitForURL(`${south().url}/manage/preview/2/about`);
    assert.equal(await h1Colour(), 'rgb(10, 120, 30)');
    for (const href of await page.locator('header a, main a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))) {
      assert.ok(href.startsWith('/manage/') || /^https?:/.test(href), `link ${href} leaves the preview`);
    }

    // Valid HTML: the notice is the body's first child; nothing sits between </head> and <body>.
    const raw = await (await page.request.get(`${south().url}/manage/preview/2/about`)).text();
    assert.match(raw, /^<!doctype html>/i);
    assert.match(raw, /<\/head>\s*<body[^>]*>\s*<div class="tieup-preview-notice"/);
    assert.equal((raw.match(/<body\b/gi) ?? []).length, 1);
    assert.equal(await page.evaluate('document.body.firstElementChild?.className'), 'tieup-preview-notice');

    // Shoppers still get the served release's CSS.
    const shopper = await ctx.newPage();
    await shopper.goto(`${south().url}/about`);
    assert.notEqual(await style(shopper.locator('main h1').first(), 'color'), 'rgb(10, 120, 30)');

    await page.locator('.tieup-preview-notice a', { hasText: 'Back to releases' }).click();
    await page.waitForURL(`${south().url}/manage/sync`);
    await page.locator('section.pending-card[data-release="2"]').waitFor();
    await ctx.close();
  });
});
