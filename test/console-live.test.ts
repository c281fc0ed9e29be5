import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AxeBuilder } from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { runCli } from './helpers/cli.js';
import { consoleSession } from './helpers/console-login.js';
import { openStream } from './helpers/event-stream.js';
import { TEST_PASSWORD, TEST_TOKEN } from './helpers/network.js';
import { Shopper, orderNumberOf } from './helpers/shopper.js';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

async function getText(url: string, cookie: string): Promise<{ status: number; type: string; text: string }> {
  const r = await request(url, { headers: { cookie, accept: 'text/html' } });
  return { status: r.statusCode, type: String(r.headers['content-type']), text: await r.body.text() };
}

describe('console live status: server-sent events, rollback state, delivery filters and CSV', function () {
  this.timeout(120000);
  let net: SyncNetwork;
  let cookie: string;
  const main = () => net.main.url;
  const north = () => net.partners.north!.url;
  const publishPage = async (marker: string) => {
    net.write('pages/about.md', pageText('About us', marker));
    return (await api(main(), 'POST', '/admin/api/releases', { note: marker })).body.release.number as number;
  };
  const push = async (id: string) => (await api(main(), 'POST', `/admin/api/partners/${id}/push`, {})).body as { outcome: string; release: number };

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }, { id: 'south' }]);
    // Short heartbeats so the test sees them; the default is 15 s.
    net.main.ctx.live.heartbeatMs = 300;
    await api(main(), 'POST', '/admin/api/releases', { note: 'first' });
    assert.equal((await push('north')).outcome, 'active');
    cookie = await consoleSession(main(), '/admin', 'operator');
  });
  after(async () => {
    await net.close();
  });

  it('refuses the event stream without a console session (a bearer token is not a session either)', async () => {
    const anon = await request(`${main()}/admin/events`, { headers: { accept: 'text/event-stream' } });
    assert.equal(anon.statusCode, 401);
    assert.match(await anon.body.text(), /console session is required/);
    const bearer = await request(`${main()}/admin/events`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(bearer.statusCode, 401);
    await bearer.body.text();
    const forged = await request(`${main()}/admin/events`, { headers: { cookie: 'tieup_main_console=not-a-session' } });
    assert.equal(forged.statusCode, 401);
    await forged.body.text();
  });

  it('streams text/event-stream with heartbeats, and an event after a push and after a partner manager rolls back', async () => {
    const s = await openStream(`${main()}/admin/events`, cookie);
    try {
      assert.equal(s.res.statusCode, 200);
      assert.match(String(s.res.headers['content-type']), /^text\/event-stream/);
      await s.waitFor((f) => f.comment?.startsWith('heartbeat') === true, 3000);

      const r2 = await publishPage('SECOND');
      assert.equal((await push('north')).outcome, 'active');
      const pushed = await s.waitFor((f) => f.event === 'sync' && !!f.data?.subjects.includes('north') && f.data.kinds.includes('delivery'));
      assert.equal(pushed.data!.topic, 'sync');

      const before = s.frames.length;
      const rb = await api(north(), 'POST', '/manage/api/releases/1/activate', {});
      assert.equal(rb.body.reported, true, JSON.stringify(rb.body));
      const rolled = await s.waitFor((f) => s.frames.indexOf(f) >= before && f.event === 'sync' && !!f.data?.kinds.includes('rollback'));
      assert.deepEqual(rolled.data!.subjects, ['north']);

      const view = (await api(main(), 'GET', '/admin/api/partners/north')).body.sync;
      assert.equal(view.activeRelease, 1);
      assert.deepEqual({ to: view.rollback.to, latest: view.rollback.latest }, { to: 1, latest: r2 });
      assert.equal(view.rollback.text, `rolled back to 1, latest ${r2} not served`);
      assert.equal(view.upToDate, false);
      // The page's fragment says it in words (what live.js puts in place).
      const frag = await getText(`${main()}/admin/sync/live/partners`, cookie);
      assert.equal(frag.status, 200);
      assert.match(frag.text, new RegExp(`rolled back to 1, latest ${r2} not served`));

      // A peer's status change reaches the peers console's topic.
      assert.equal((await api(main(), 'POST', '/admin/api/partners/south/suspend', {})).status, 200);
      await s.waitFor((f) => f.event === 'peers' && !!f.data?.subjects.includes('south'));
      assert.equal((await api(main(), 'POST', '/admin/api/partners/south/activate', {})).status, 200);
      const peers = await getText(`${main()}/admin/live/peers`, cookie);
      assert.match(peers.text, /data-peer="south"/);
    } finally {
      s.close();
    }
  });

  it('tieup sync status says the partner rolled back, and which release it does not serve', async () => {
    const latest = net.main.sync.releases.latest()!.number;
    const r = await runCli(['sync', 'status', '--url', main(), '--token', TEST_TOKEN]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`rolled back to 1, latest ${latest} not served \\(by .+\\)`));
    const json = await runCli(['sync', 'status', '--url', main(), '--token', TEST_TOKEN, '--json']);
    const row = (JSON.parse(json.stdout) as { partners: { id: string; rollback: { to: number } | null }[] }).partners.find((p) => p.id === 'north')!;
    assert.equal(row.rollback?.to, 1);
  });

  it('a newer release served ends the rollback state', async () => {
    await publishPage('THIRD');
    assert.equal((await push('north')).outcome, 'active');
    const view = (await api(main(), 'GET', '/admin/api/partners/north')).body.sync;
    assert.equal(view.rollback, null);
    assert.equal(view.upToDate, true);
    const r = await runCli(['sync', 'status', '--url', main(), '--token', TEST_TOKEN]);
    assert.doesNotMatch(r.stdout, /rolled back to/);
  });

  it('a rollback by the main operator is recorded the same way; a roll forward to the latest is none', async () => {
    const latest = net.main.sync.releases.latest()!.number;
    const back = await api(main(), 'POST', '/admin/api/partners/north/rollback', { release: latest - 1 });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.rollback.text, `rolled back to ${latest - 1}, latest ${latest} not served`);
    assert.match(back.body.rollback.by, /main operator/);
    const forward = await api(main(), 'POST', '/admin/api/partners/north/rollback', { release: latest });
    assert.equal(forward.status, 200);
    assert.equal(forward.body.rollback, null);
    assert.equal(forward.body.upToDate, true);
  });

  it('filters the delivery log by partner, state and release, and exports it as CSV', async () => {
    await push('south');
    const csvOf = async (q: string) => {
      const r = await request(`${main()}/admin/sync/deliveries.csv${q}`, { headers: { cookie } });
      const text = await r.body.text();
      return { status: r.statusCode, type: String(r.headers['content-type']), disposition: String(r.headers['content-disposition']), text };
    };
    const all = await csvOf('');
    assert.equal(all.status, 200);
    assert.match(all.type, /^text\/csv/);
    const rows = parse<Record<string, string>>(all.text, { columns: true });
    assert.ok(rows.some((x) => x.partner === 'north') && rows.some((x) => x.partner === 'south'));
    assert.deepEqual(Object.keys(rows[0]!), ['id', 'partner', 'release', 'trigger', 'attempt', 'state', 'started_at', 'finished_at', 'blobs_sent', 'bytes', 'freeze_overridden', 'detail']);

    const north2 = await csvOf('?partner=north&state=active&release=2');
    assert.equal(north2.status, 200);
    assert.match(north2.disposition, /filename="deliveries-north-active-release-2\.csv"/);
    const picked = parse<Record<string, string>>(north2.text, { columns: true });
    assert.equal(picked.length, 1);
    assert.deepEqual([picked[0]!.partner, picked[0]!.state, picked[0]!.release], ['north', 'active', '2']);
    const none = parse<unknown>((await csvOf('?partner=south&release=2')).text, { columns: true });
    assert.equal(none.length, 0);

    // The page and its live fragment take the same filters.
    const page = await getText(`${main()}/admin/sync?delivery_partner=south`, cookie);
    assert.equal(page.status, 200);
    const deliveryRows = [...page.text.matchAll(/<tr data-delivery="\d+" data-partner="([a-z]+)"/g)].map((m) => m[1]);
    assert.ok(deliveryRows.length > 0);
    assert.deepEqual([...new Set(deliveryRows)], ['south']);
    assert.match(page.text, /href="\/admin\/sync\/deliveries\.csv\?partner=south"/);
    const frag = await getText(`${main()}/admin/sync/live/deliveries?state=active&partner=north`, cookie);
    assert.equal(frag.status, 200);
    assert.deepEqual([...new Set([...frag.text.matchAll(/data-state="([a-z]+)"/g)].map((m) => m[1]))], ['active']);

    const cli = await runCli(['deliveries', '--partner', 'south', '--state', 'active', '--url', main(), '--token', TEST_TOKEN]);
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.trim().split('\n');
    assert.ok(lines.length > 0 && lines.every((l) => /\ssouth\s.*\sactive\s/.test(l)), cli.stdout);
    const badCli = await runCli(['deliveries', '--state', 'exploded', '--url', main(), '--token', TEST_TOKEN]);
    assert.notEqual(badCli.code, 0);
    assert.match(badCli.stderr, /state: must be one of/);
    const api2 = await api(main(), 'GET', '/admin/api/deliveries?partner=north&state=active');
    assert.equal(api2.status, 200);
    assert.ok(api2.body.deliveries.every((d: { partnerId: string; outcome: string }) => d.partnerId === 'north' && d.outcome === 'active'));
  });

  it('refuses bad filter values with a clear 400 and lists nothing', async () => {
    for (const [q, says] of [
      ['?state=exploded', /state: must be one of running, active/],
      ['?release=two', /release: must be a release number/],
      ['?release=0', /release: must be a release number/],
      ['?partner=Nobody!', /partner: must be a partner id/],
      ['?partner=nobody', /no partner "nobody"/],
      ['?colour=red', /unknown filter colour/],
    ] as const) {
      const csv = await request(`${main()}/admin/sync/deliveries.csv${q}`, { headers: { cookie } });
      const text = await csv.body.text();
      assert.equal(csv.statusCode, 400, q);
      assert.match(text, /^invalid_request: /, q);
      assert.match(text, says, q);
      assert.doesNotMatch(text, /started_at/);
      const j = await api(main(), 'GET', `/admin/api/deliveries${q}`);
      assert.equal(j.status, 400, q);
      assert.equal(j.body.error.code, 'invalid_request');
    }
    const page = await getText(`${main()}/admin/sync?delivery_state=exploded`, cookie);
    assert.equal(page.status, 400);
    assert.match(page.text, /state: must be one of/);
    const frag = await getText(`${main()}/admin/sync/live/deliveries?release=-1`, cookie);
    assert.equal(frag.status, 400);
  });

  it('an order placed or moved reaches open order lists (topic "orders"), and the list fragment shows it', async () => {
    const s = await openStream(`${main()}/admin/events`, cookie);
    try {
      const shopper = new Shopper(main());
      await shopper.register('live@example.org', 'a long shopper password');
      await shopper.add('stove-gas');
      const group = /\/checkout\?group=([A-Za-z0-9_-]+)/.exec((await shopper.agent.get('/cart').expect(200)).text)![1]!;
      const number = orderNumberOf(await shopper.placeOrder(group));
      await s.waitFor((f) => f.event === 'orders' && !!f.data?.subjects.includes(number) && f.data.kinds.includes('accepted'));
      const list = await getText(`${main()}/admin/orders?live=orders`, cookie);
      assert.equal(list.status, 200);
      assert.match(list.text, new RegExp(`data-order="${number}"`));
      assert.doesNotMatch(list.text, /<h1>/, 'a fragment, not the whole page');
      assert.equal((await api(main(), 'POST', `/admin/api/orders/${encodeURIComponent(number)}/state`, { state: 'shipped' })).status, 200);
      await s.waitFor((f) => f.event === 'orders' && !!f.data?.kinds.includes('shipped'));
      assert.equal((await getText(`${main()}/admin/orders?live=everything`, cookie)).status, 400);
    } finally {
      s.close();
    }
  });

  it('ends an open stream when its session is logged out', async () => {
    const own = await consoleSession(main(), '/admin', 'operator');
    const s = await openStream(`${main()}/admin/events`, own);
    try {
      await s.waitFor((f) => f.comment?.startsWith('live') === true);
      const page = await getText(`${main()}/admin/`, own);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const out = await request(`${main()}/admin/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: own },
        body: new URLSearchParams({ _csrf: csrf }).toString(),
      });
      await out.body.text();
      assert.equal(out.statusCode, 303);
      const end = Date.now() + 3000;
      while (!s.ended && Date.now() < end) await sleep(20);
      assert.equal(s.ended, true, 'the stream ends at the next heartbeat after logout');
    } finally {
      s.close();
    }
  });

  describe('in Chromium: the sync page changes without a reload', () => {
    let browser: Browser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    it('shows a push and then a partner rollback as they happen, with no reload', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`${main()}/admin/login`);
      await page.fill('input[name=username]', 'operator');
      await page.fill('input[name=password]', TEST_PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(`${main()}/admin/`);
      await page.goto(`${main()}/admin/sync`);
      await page.waitForSelector('html[data-live="open"]');
      // Set on this document only: a reload would lose it.
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      const serving = page.locator('tr[data-partner="north"] td.serving');
      const before = net.main.sync.releases.latest()!.number;
      assert.match(await serving.innerText(), new RegExp(`release ${before}\\s+up to date`));

      const next = await publishPage('FOURTH');
      assert.equal((await push('north')).outcome, 'active');
      // Within 2 s of the push's answer, without a reload.
      await serving.filter({ hasText: new RegExp(`release ${next}\\b`) }).waitFor({ timeout: 2000 });

      assert.match(await page.locator('#sync-latest').innerText(), new RegExp(`Release ${next} · FOURTH`));
      const rb = await api(north(), 'POST', `/manage/api/releases/${before}/activate`, {});
      assert.equal(rb.body.reported, true);
      await serving.filter({ hasText: 'rolled back to' }).waitFor({ timeout: 2000 });
      assert.match(await serving.innerText(), new RegExp(`release ${before}\\s+rolled back to ${before}, latest ${next} not served`));
      // The delivery log and the partner events changed in place too.
      assert.match(await page.locator('#sync-events').innerText(), /rollback/);
      assert.equal(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'console-live.png'), fullPage: true });
      // The fragments put in place keep the page as accessible as the rest of the console.
      const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
      assert.deepEqual(
        axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        [],
      );
      // The other live pages: they load and open their stream like the sync page, and stay accessible.
      for (const path of ['/admin/', '/admin/orders']) {
        await page.goto(`${main()}${path}`);
        await page.waitForSelector('html[data-live="open"]');
        const a = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
        assert.deepEqual(
          a.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${path} ${v.id}`),
          [],
        );
      }
      assert.deepEqual(errors, [], 'no script or CSP errors on the page');
      await ctx.close();
    });
  });
});
