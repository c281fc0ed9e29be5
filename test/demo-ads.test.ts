import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { tempDir } from './helpers/network.js';
import { approveSouthsFirstRelease, startDemo, type RunningDemo } from './helpers/demo.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';

/**
 * Ads end to end on the demo network (what `npm start` runs), in a real
 * browser: the demo's ad-tents (paid for 20 deliveries) shows on north and
 * south until its count, stops on both, the advertiser sees the re-payment
 * request in the portal and in the demo's SMTP inbox, the operator records the
 * payment in the console, and the ad comes back.
 */
describe('the demo network: an ad stops at its paid count on north and south and comes back when paid, in a browser', function () {
  this.timeout(150000);
  const dir = tempDir('tieup-demo-ads-');
  const token = 'demo-ads-test-token-0123456789';
  let demo: RunningDemo;
  let main = '';
  let north = '';
  let south = '';
  let browser: Browser;

  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    // The test reads arbitrary JSON.
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const until = async (cond: () => Promise<boolean>, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const adOf = async (base: string) => /data-ad="([^"]+)"/.exec(await (await fetch(`${base}/products`, { headers: { accept: 'text/html' } })).text())?.[1] ?? null;
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `demo-ads-${name}.png`), fullPage: true });
  const login = async (p: Page, base: string, path: string, fields: Record<string, string>) => {
    await p.goto(`${base}${path}`);
    for (const [k, v] of Object.entries(fields)) await p.fill(`input[name=${k}]`, v);
    await p.click('button[type=submit]');
  };

  before(async () => {
    demo = await startDemo({ dir, token });
    ({ main, north, south } = demo);
    await approveSouthsFirstRelease(demo, token, '/products', '/products');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop({ kill: true });
  });

  it('prints the advertiser’s portal login', () => {
    assert.match(demo.output(), /login ads@demo\.test \/ tieup-demo-advertiser +\(Trail Gear Ltd, advertiser p-0000000000a1: ad-tents, ad-stoves\)/);
  });

  it('north shows its own ad on /local-news (no advertiser’s ad there), lists it on its console, and its statement has both ad lines', async () => {
    const html = await (await fetch(`${north}/local-news`, { headers: { accept: 'text/html' } })).text();
    assert.match(html, /data-ad="ad-north-repairs"/);
    assert.match(html, /Tent repairs at North Outfitters/);
    const st = (await api(north, 'GET', '/manage/api/ads')).body;
    assert.deepEqual(st.ownProblems, []);
    assert.equal(st.own[0].ad.id, 'ad-north-repairs');
    assert.ok(st.own[0].deliveries >= 1);
    const period = new Date().toISOString().slice(0, 7);
    const stmt = (await api(main, 'GET', `/admin/api/fees/statements/north/${period}`)).body;
    assert.deepEqual(
      stmt.lines.filter((l: { code: string }) => l.code.startsWith('ads.')).map((l: { code: string }) => l.code),
      ['ads.main', 'ads.own'],
    );
  });

  it('shows ad-tents on north and south until its 20 paid deliveries, then on neither; the advertiser sees the re-payment request in the portal and the SMTP inbox; the operator records the payment and it returns', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const p = await ctx.newPage();
    for (const [name, base] of [
      ['north', north],
      ['south', south],
    ] as const) {
      await until(
        async () => {
          await p.goto(`${base}/products`);
          return (await p.locator('aside.ad-slot[data-ad="ad-tents"]').count()) === 1;
        },
        30000,
        `ad-tents on ${name}`,
      );
      // The creative is sandboxed: an iframe with an empty sandbox, in the page's own look.
      assert.equal(await p.locator('aside.ad-slot iframe.ad-creative').getAttribute('sandbox'), '');
      await shot(p, `1-${name}-with-ad`);
    }
    // Use up the rest of the paid count on both sites (a site without quota at a moment shows no ad; the count decides the end).
    await until(
      async () => {
        await Promise.all([adOf(north), adOf(south)]);
        return (await api(main, 'GET', '/admin/api/ads/ad-tents')).body.ad.state === 'suspended';
      },
      60000,
      'ad-tents suspended at its paid count',
    );
    const ad = (await api(main, 'GET', '/admin/api/ads/ad-tents')).body;
    assert.equal(ad.ad.delivered, 20, 'exactly the paid count, on all sites together');
    for (const base of [north, south]) {
      await p.goto(`${base}/products`);
      assert.equal(await p.locator('aside.ad-slot[data-ad="ad-tents"]').count(), 0);
    }
    await shot(p, '2-south-stopped');

    // The advertiser's portal: the ad suspended with the re-payment request, and the notice in the inbox.
    await login(p, main, '/portal/login', { email: 'ads@demo.test', password: 'tieup-demo-advertiser' });
    await p.waitForURL((u) => !u.pathname.endsWith('/login'));
    await p.goto(`${main}/portal/ads/ad-tents`);
    assert.equal(await p.locator('#ad-state').getAttribute('data-state'), 'suspended');
    assert.match(await p.locator('#ad-events').innerText(), /re-payment requested/);
    await shot(p, '3-portal-suspended');
    await p.goto(`${main}/portal/inbox`);
    assert.match(await p.locator('main').innerText(), /Re-payment request: Trail tents, 20% off/);
    // The real SMTP server on loopback (the demo's mailbox) received it.
    const mailDir = join(dir, 'data', 'demo-mail');
    await until(async () => readdirSync(mailDir).some((f) => /Subject: Re-payment request: Trail tents/.test(readFileSync(join(mailDir, f), 'utf8'))), 20000, 'the re-payment e-mail');

    // The operator records the payment in the console.
    const op = await (await browser.newContext()).newPage();
    await login(op, main, '/admin/login', { username: 'operator', password: 'tieup-demo-operator' });
    await op.waitForURL((u) => !u.pathname.endsWith('/login'));
    await op.goto(`${main}/admin/ads/ad-tents`);
    await op.fill('#ad-pay input[name=payment]', 'bank-transfer-0042');
    await op.click('#ad-pay button[type=submit]');
    await op.waitForSelector('p.notice');
    assert.match(await op.locator('p.notice').innerText(), /recorded; the ad is active/);
    await shot(op, '4-console-paid');

    // Back on both sites, and the advertiser sees the "paid" confirmation.
    for (const [name, base] of [
      ['north', north],
      ['south', south],
    ] as const) {
      await until(
        async () => {
          await p.goto(`${base}/products`);
          return (await p.locator('aside.ad-slot[data-ad="ad-tents"]').count()) === 1;
        },
        30000,
        `ad-tents back on ${name}`,
      );
    }
    await shot(p, '5-north-back');
    await p.goto(`${main}/portal/ads/ad-tents`);
    assert.match(await p.locator('#ad-events').innerText(), /paid \(confirmed by the operator\)/);
    await ctx.close();
  });
});
