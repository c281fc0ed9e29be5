import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { tempDir } from './helpers/network.js';
import { startDemo, type RunningDemo } from './helpers/demo.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';

/**
 * Delivery counts on the demo network (what `npm start` runs), in a real
 * browser: Fernhill Press's /about rule fires after five views on north; the
 * operator sees the count and the event in the console and sets a rule with
 * the console's form; the supplier sees them in the portal; the notice is in
 * the demo's SMTP mailbox.
 */
describe('the demo network: delivery counts and event rules in a browser', function () {
  this.timeout(120000);
  const dir = tempDir('tieup-demo-counts-');
  const token = 'demo-counts-test-token-0123456789';
  let demo: RunningDemo;
  let main = '';
  let north = '';
  let browser: Browser;

  const api = async (path: string) => {
    const r = await fetch(`${main}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return (await r.json()) as any; // any: the test reads arbitrary JSON
  };
  const until = async (cond: () => Promise<boolean> | boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `counts-demo-${name}.png`), fullPage: true });
  const login = async (p: Page, url: string, fields: Record<string, string>) => {
    await p.goto(url);
    for (const [k, v] of Object.entries(fields)) await p.fill(`input[name=${k}]`, v);
    await p.click('button[type=submit]');
  };
  const mails = (): string[] => {
    const d = join(dir, 'data', 'demo-mail');
    // Headers unfolded (RFC 5322: a long Subject continues on indented lines).
    return existsSync(d) ? readdirSync(d).map((f) => readFileSync(join(d, f), 'utf8').replace(/\r?\n[ \t]+/g, ' ')) : [];
  };

  before(async () => {
    demo = await startDemo({ dir, token });
    ({ main, north } = demo);
    await until(async () => (await fetch(`${north}/about`)).status === 200, 30000, 'north serving /about');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop({ kill: true });
  });

  it("prints where counts are, and Fernhill Press's items and rules are set", async () => {
    assert.match(demo.output(), /Delivery counts: Fernhill Press's trail-guide/);
    assert.match(demo.output(), new RegExp(`${main}/admin/counts and ${main}/portal/counts/`));
    const rules = (await api('/admin/api/counts/rules')).rules as { item: string; mode: string; n: number; action: string }[];
    assert.deepEqual(
      rules.map((r) => `${r.item} ${r.mode} ${r.n} ${r.action}`),
      ['paid:trail-guide every 2 status_report', 'paid:trail-guide every 4 revenue_statement', 'paid:trail-guide only 10 new_content', 'page:/about every 5 status_report'],
    );
  });

  it('five views of /about on north fire a status report: the operator sees it and sets a rule in the console, the supplier sees it in the portal and by e-mail', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const shopper = await ctx.newPage();
    // The fetch above was one view; the rule fires at 5 whoever made them.
    for (let i = 0; i < 4; i++) await shopper.goto(`${north}/about`);
    await until(async () => (await api('/admin/api/counts/events?item=page:/about')).events.length >= 1, 30000, 'the status report at 5');
    const [ev] = (await api('/admin/api/counts/events?item=page:/about')).events;
    assert.equal(ev.threshold, 5);
    assert.equal(ev.supplier, 'p-000000000001');
    assert.equal(ev.site, 'north');

    const op = await ctx.newPage();
    await login(op, `${main}/admin/login`, { username: 'operator', password: 'tieup-demo-operator' });
    await op.waitForURL((u) => !u.pathname.endsWith('/login'));
    await op.goto(`${main}/admin/counts`);
    const count = Number(await op.locator('tr[data-item="page:/about"] [data-count]').innerText());
    assert.ok(count >= 5);
    const at = count + 3;
    assert.equal(await op.locator('tr[data-action="status_report"][data-threshold="5"]').count(), 1);
    // A new rule from the console's form: only at three views from now, a request for new content.
    await op.selectOption('#rule-form select[name=item]', 'page:/about');
    await op.selectOption('#rule-form select[name=mode]', 'only');
    await op.fill('#rule-form input[name=n]', String(at));
    await op.selectOption('#rule-form select[name=action]', 'new_content');
    await op.click('#rule-form button[type=submit]');
    await op.waitForURL(/\/admin\/counts\?/);
    assert.match(await op.locator('[role=status], .banner').first().innerText(), /rule is set/);
    await shot(op, '1-console');
    for (let i = 0; i < 3; i++) await shopper.goto(`${north}/about`);
    await until(async () => (await api('/admin/api/counts/events?item=page:/about')).events.some((e: { action: string }) => e.action === 'new_content'), 30000, 'the request for new content');

    const sup = await ctx.newPage();
    await login(sup, `${main}/portal/login`, { email: 'supplier@demo.test', password: 'tieup-demo-supplier' });
    await sup.waitForURL((u) => !u.pathname.endsWith('/login'));
    await sup.goto(`${main}/portal/counts/`);
    assert.ok(Number(await sup.locator('tr[data-item="page:/about"] [data-count]').innerText()) >= at);
    assert.equal(await sup.locator('tr[data-action="status_report"][data-threshold="5"]').count(), 1);
    assert.equal(await sup.locator(`tr[data-action="new_content"][data-threshold="${at}"]`).count(), 1);
    await shot(sup, '2-portal');
    await until(() => mails().some((m) => m.includes('Subject: Status report: About (tie-up page) reached 5 deliveries')), 30000, 'the e-mail in the demo mailbox');
    await until(() => mails().some((m) => m.includes(`Subject: Request for new content: About (tie-up page) reached ${at} deliveries`)), 30000, 'the second e-mail');
    assert.ok(
      mails().every((m) => !/Subject: .*About \(tie-up page\)/.test(m) || /^To: .*supplier@demo\.test/m.test(m)),
      'only to Fernhill Press',
    );
    await ctx.close();
  });

  it('reading the trail guide at north issues a key at the main site, counted as a delivery of paid:trail-guide', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const p = await ctx.newPage();
    await login(p, `${north}/account/register`, { email: `counts-${Date.now()}@example.org`, name: 'Count Reader', password: 'a long demo passphrase' });
    await p.waitForURL(`${north}/account`);
    for (let i = 0; i < 2; i++) {
      await p.goto(`${north}/paid/trail-guide`);
      await p.click('.paid-actions button:text-is("Read")');
      await p.waitForURL(new RegExp(`^${main}/paid/[A-Za-z0-9_.-]+/trail-guide/$`));
    }
    await until(async () => (await api('/admin/api/counts/events?item=paid:trail-guide')).events.length >= 1, 30000, 'the status report after two keys');
    const item = (await api('/admin/api/counts?item=paid:trail-guide')).items[0];
    assert.equal(item.count, 2);
    assert.deepEqual(
      item.bySite.map((s: { site: string }) => s.site),
      ['main'],
    );
    await ctx.close();
  });
});
