import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fromRoot } from '../common/paths.js';
import { tempDir } from './helpers/network.js';
import { freePorts, runCli, TIEUP_BIN } from './helpers/cli.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';

describe('the demo network (what npm start runs)', function () {
  this.timeout(60000);
  const dir = tempDir('tieup-demo-');
  const token = 'demo-test-token-0123456789';
  let child: ChildProcess;
  let out = '';
  let ports: number[];

  before(async () => {
    ports = await freePorts(3);
    cpSync(fromRoot('main-site/demo-content'), join(dir, 'content'), { recursive: true });
    child = spawn(process.execPath, [TIEUP_BIN, 'demo'], {
      env: {
        ...process.env,
        TIEUP_DEMO_PORTS: ports.join(','),
        TIEUP_DATA_DIR: join(dir, 'data'),
        TIEUP_KEYS_DIR: join(dir, 'keys'),
        TIEUP_DEMO_TOKEN: token,
        TIEUP_DEMO_CONTENT_DIR: join(dir, 'content'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 45000;
    while (!out.includes('Ctrl-C stops every site')) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`demo did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URLs and the demo logins', () => {
    for (const p of ports) assert.ok(out.includes(`http://127.0.0.1:${p}`));
    assert.match(out, /login operator \/ tieup-demo-operator/);
    assert.match(out, /login manager \/ tieup-demo-manager/);
    assert.ok(out.includes(token));
  });

  it('runs a loopback mailbox: the demo supplier logs into the portal and its welcome notice is both e-mailed and in its inbox', async () => {
    assert.match(out, /login supplier@demo\.test \/ tieup-demo-supplier/);
    assert.match(out, /mail +smtp:\/\/127\.0\.0\.1:\d+/);
    const mailDir = join(dir, 'data', 'demo-mail');
    const deadline = Date.now() + 15000;
    while (!(existsSync(mailDir) && readdirSync(mailDir).some((f) => f.endsWith('.eml')))) {
      if (Date.now() > deadline) throw new Error('no demo mail arrived');
      await new Promise((r) => setTimeout(r, 100));
    }
    const eml = readFileSync(
      join(
        mailDir,
        readdirSync(mailDir).find((f) => f.endsWith('.eml'))!,
      ),
      'utf8',
    );
    assert.match(eml, /Welcome to the Tieup portal/);
    const base = `http://127.0.0.1:${ports[0]}`;
    const login = await fetch(`${base}/portal/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
    const preCookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await fetch(`${base}/portal/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: preCookie },
      body: new URLSearchParams({ _csrf: csrf, email: 'supplier@demo.test', password: 'tieup-demo-supplier' }),
    });
    assert.equal(res.status, 303);
    const session = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const inbox = await fetch(`${base}/portal/inbox`, { headers: { cookie: session } });
    assert.equal(inbox.status, 200);
    assert.match(await inbox.text(), /Welcome to the Tieup portal/);
  });

  it('answers /healthz on all three sites, JWKS without private parts, and 401 JSON for an unsigned s2s call', async () => {
    for (const p of ports) assert.equal((await fetch(`http://127.0.0.1:${p}/healthz`)).status, 200);
    const jwks = (await (await fetch(`http://127.0.0.1:${ports[1]}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys[0]!.kty, 'OKP');
    assert.equal(jwks.keys[0]!.crv, 'Ed25519');
    assert.equal('d' in jwks.keys[0]!, false);
    const r = await fetch(`http://127.0.0.1:${ports[1]}/s2s/hello`, { method: 'POST' });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'missing_token');
  });

  it('tieup partners check passes for every pair', async () => {
    const r = await runCli(['partners', 'check', '--url', `http://127.0.0.1:${ports[0]}`], { TIEUP_DEMO_TOKEN: token });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // main <-> north and south, and main <-> the coordination peers (grocer, courier, payagent), both ways.
    assert.equal((r.stdout.match(/ OK /g) ?? []).length, 10);
  });

  it('the first pushes wait for the partners to answer (no failed attempt at start), and only north and south are push targets', async () => {
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${ports[0]}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200, path);
      return (await r.json()) as Record<string, unknown>;
    };
    type Delivery = { partnerId: string; outcome: string; detail: string };
    const end = Date.now() + 40_000;
    let rows: Delivery[] = [];
    for (;;) {
      rows = (await get('/admin/api/deliveries?limit=50')).deliveries as Delivery[];
      if (rows.some((d) => d.partnerId === 'north' && d.outcome === 'active') && rows.some((d) => d.partnerId === 'south' && d.outcome === 'pending')) break;
      assert.ok(Date.now() < end, `north and south pushed by their schedules: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(
      rows.filter((d) => d.outcome === 'failed'),
      [],
    );
    assert.deepEqual([...new Set(rows.map((d) => d.partnerId))].sort(), ['north', 'south']);
    // The coordination peers hold no sync terms: the sync page names them apart, with no push button.
    const partners = (await get('/admin/api/partners')).partners as { id: string; contract: Record<string, unknown> }[];
    for (const id of ['grocer', 'courier', 'payagent']) assert.deepEqual(partners.find((p) => p.id === id)?.contract, {}, id);
  });

  it('orders partners process themselves: every partner answers, and peers that run no shop (grocer, courier, payagent) are not shown as failures', async () => {
    const r = await api(ports[0]!, 'GET', '/admin/api/partner-orders');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.unreachable, []);
  });

  const api = async (port: number, method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as any }; // any: the test reads arbitrary JSON
  };
  const until = async (cond: () => Promise<boolean>, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const page = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();

  it("serves the demo content on main and north, north's original page, and holds it for approval on south", async () => {
    assert.match(await page(ports[0]!, '/about'), /About us/);
    await until(async () => /About us/.test(await page(ports[1]!, '/about')), 20000, 'north serving the first release');
    assert.match(await page(ports[1]!, '/local-news'), /North Outfitters/);
    await until(async () => (await api(ports[2]!, 'GET', '/manage/api/pending')).body.pending.length === 1, 20000, 'south listing the first release');
    const first = (await api(ports[2]!, 'GET', '/manage/api/pending')).body.pending[0].release;
    assert.equal((await api(ports[2]!, 'POST', `/manage/api/pending/${first}/approve`, {})).status, 200);
  });

  it('an edited page reaches north on "push now"; south serves it only after approval; a rejection reason reaches the main site', async () => {
    const file = join(dir, 'content', 'pages', 'about.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('since 1998', 'since 1988, edited in the demo test'));
    await until(async () => (await api(ports[0]!, 'GET', '/admin/api/releases')).body.releases.length >= 2, 10000, 'the watcher publishing the edit');
    const pushed = await api(ports[0]!, 'POST', '/admin/api/partners/north/push', {});
    assert.ok(['active', 'noop'].includes(pushed.body.outcome), JSON.stringify(pushed.body));
    // A property, not a rate (the CI machine's speed varies): the push has answered, so north serves the edit.
    await until(async () => /edited in the demo test/.test(await page(ports[1]!, '/about')), 30000, 'north serving the edit');
    await api(ports[0]!, 'POST', '/admin/api/partners/south/push', {});
    const pending = (await api(ports[2]!, 'GET', '/manage/api/pending')).body.pending;
    assert.equal(pending.length, 1);
    assert.doesNotMatch(await page(ports[2]!, '/about'), /edited in the demo test/);
    assert.equal((await api(ports[2]!, 'POST', `/manage/api/pending/${pending[0].release}/approve`, {})).status, 200);
    assert.match(await page(ports[2]!, '/about'), /edited in the demo test/);

    writeFileSync(file, readFileSync(file, 'utf8').replace('edited in the demo test', 'edited again'));
    await until(async () => (await api(ports[0]!, 'POST', '/admin/api/partners/south/push', {})).body.outcome === 'pending', 10000, 'south staging the second edit');
    const second = (await api(ports[2]!, 'GET', '/manage/api/pending')).body.pending[0].release;
    await api(ports[2]!, 'POST', `/manage/api/pending/${second}/reject`, { reason: 'Not before the weekend' });
    const partners = (await api(ports[0]!, 'GET', '/admin/api/partners')).body.partners;
    assert.equal(partners.find((p: { id: string }) => p.id === 'south').sync.rejectReason, 'Not before the weekend');
  });

  it('after some browsing, an audit export of north verifies with keys from the two JWKS endpoints; each tampering fails with its own code', async () => {
    for (let i = 0; i < 30; i++) await page(ports[1]!, i % 2 ? '/about' : '/local-news');
    const mainUrl = `http://127.0.0.1:${ports[0]}`;
    await until(async () => (await api(ports[1]!, 'GET', '/manage/api/logs')).body.backlog === 0, 10000, 'north shipping its log');
    const out = join(dir, 'north.jsonl');
    const exp = await runCli(['audit', 'export', '--site', 'north', '--out', out, '--url', mainUrl], { TIEUP_DEMO_TOKEN: token });
    assert.equal(exp.code, 0, exp.stderr);
    for (const [site, p] of [
      ['north', ports[1]],
      ['main', ports[0]],
    ] as const)
      writeFileSync(join(dir, `${site}-jwks.json`), await (await fetch(`http://127.0.0.1:${p}/.well-known/jwks.json`)).text());
    const keys = ['--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
    const ok = await runCli(['audit', 'verify', out, ...keys]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const lines = readFileSync(out, 'utf8').split('\n');
    const first = lines.findIndex((l) => l.startsWith('{"v":1'));
    const last = lines.length - 2;
    assert.ok(last - first > 20);
    const variants: [string, (ls: string[]) => void, number][] = [
      ['altered', (ls) => (ls[first + 5] = ls[first + 5]!.replace('"path":"/', '"path":"/x')), 10],
      ['deleted', (ls) => ls.splice(first + 5, 1), 11],
      ['swapped', (ls) => ([ls[first + 3], ls[first + 4]] = [ls[first + 4]!, ls[first + 3]!]), 12],
      ['cut', (ls) => ls.splice(last - 3, 4), 13],
    ];
    for (const [name, mutate, code] of variants) {
      const ls = [...lines];
      mutate(ls);
      const f = join(dir, `${name}.jsonl`);
      writeFileSync(f, ls.join('\n'));
      const r = await runCli(['audit', 'verify', f, ...keys]);
      assert.equal(r.code, code, `${name}: ${r.stdout}${r.stderr}`);
    }
  });

  it("this month's statements show both partners with lines that match their traffic, and recompute from north's export matches", async () => {
    for (let i = 0; i < 10; i++) await page(ports[2]!, '/visit-us');
    await until(async () => (await api(ports[2]!, 'GET', '/manage/api/logs')).body.backlog === 0, 10000, 'south shipping its log');
    await until(async () => (await api(ports[1]!, 'GET', '/manage/api/logs')).body.backlog === 0, 10000, 'north shipping its log');
    const period = new Date().toISOString().slice(0, 7);
    const r = await api(ports[0]!, 'GET', `/admin/api/fees/statements?period=${period}`);
    assert.deepEqual(r.body.statements.map((s: { partner: string }) => s.partner).sort(), ['north', 'south']);
    for (const s of r.body.statements) {
      const accesses = s.usage.pageAccesses.tieUp + s.usage.pageAccesses.original;
      assert.ok(accesses > 0, `${s.partner} has traffic`);
      const contribution = s.lines.find((l: { code: string }) => l.code === 'discount.contribution');
      assert.match(contribution.formula, new RegExp(`drew ${s.usage.pageAccesses.original} of ${accesses} page accesses`));
      assert.equal(
        s.total,
        s.lines.reduce((x: number, l: { amount: number }) => x + l.amount, 0),
      );
    }
    const out = join(dir, 'north-fees.jsonl');
    assert.equal((await runCli(['audit', 'export', '--site', 'north', '--with-contract', '--out', out, '--url', `http://127.0.0.1:${ports[0]}`], { TIEUP_DEMO_TOKEN: token })).code, 0);
    const keys = ['--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
    const rc = await runCli(['fees', 'recompute', '--bundle', out, '--period', period, '--url', `http://127.0.0.1:${ports[0]}`, ...keys], { TIEUP_DEMO_TOKEN: token });
    assert.equal(rc.code, 0, rc.stdout + rc.stderr);
    assert.match(rc.stdout, /matches the stored statement line by line/);
  });

  it('browser: a shopper registers on north, logs in on main with the same password, orders a tie-up product on north with pay on delivery; the main console shows it (north, entrust) and the stock dropped by one', async function () {
    this.timeout(90000);
    const main = `http://127.0.0.1:${ports[0]}`;
    const north = `http://127.0.0.1:${ports[1]}`;
    const email = `shopper-${Date.now()}@example.org`;
    const password = 'a long demo passphrase';
    await until(async () => (await fetch(`${north}/shop/product/tent-2p`)).status === 200, 30000, 'north serving the catalog');
    const stockBefore = (await api(ports[0]!, 'GET', '/admin/api/stock')).body.stock['tent-2p'] as number;
    const browser = await launchBrowser();
    try {
      const ctx = await browser.newContext({ viewport: { width: 900, height: 800 } });
      const p = await ctx.newPage();
      await p.goto(`${north}/account/register`);
      await p.fill('input[name=email]', email);
      await p.fill('input[name=name]', 'Demo Shopper');
      await p.fill('input[name=password]', password);
      await p.click('button[type=submit]');
      await p.waitForURL(`${north}/account`);
      assert.match(await p.locator('main').innerText(), /Signed in as Demo Shopper/);
      await p.click('text=Log out');
      await p.waitForURL(`${north}/`);

      await p.goto(`${main}/account/login`);
      await p.fill('input[name=email]', email);
      await p.fill('input[name=password]', password);
      await p.click('button[type=submit]');
      await p.waitForURL(`${main}/account`);
      assert.match(await p.locator('main').innerText(), new RegExp(email));

      await p.goto(`${north}/shop`);
      await p.click('text=Trail tent, 2 persons');
      await p.waitForURL(`${north}/shop/product/tent-2p`);
      await p.click('button:has-text("Add to cart")');
      await p.waitForURL(`${north}/cart`);
      await p.click('text=Check out');
      // Sessions are per site: north asks the shopper to log in, then comes back to the checkout.
      await p.waitForURL(/\/account\/login\?next=/);
      await p.fill('input[name=email]', email);
      await p.fill('input[name=password]', password);
      await p.click('button[type=submit]');
      await p.waitForURL(/\/checkout\?group=central/);
      await p.fill('input[name=street]', '1 Harbour Road');
      await p.fill('input[name=postcode]', '12345');
      await p.fill('input[name=city]', 'Porthaven');
      await p.fill('input[name=country]', 'Germany');
      await p.check('input[value=pay_on_delivery]');
      await p.click('button:has-text("Place order")');
      await p.waitForURL(/\/orders\/NORTH-\d+\?placed=1/);
      const confirmation = await p.locator('main').innerText();
      assert.match(confirmation, /Order number NORTH-\d+/);
      assert.match(confirmation, /pay the courier when it arrives/);

      const op = await ctx.newPage();
      await op.goto(`${main}/admin/login`);
      await op.fill('input[name=username]', 'operator');
      await op.fill('input[name=password]', 'tieup-demo-operator');
      await op.click('button[type=submit]');
      await op.waitForURL(`${main}/admin/`);
      // The header's "Orders" menu, then its "Orders" page.
      await op.click('nav.console-nav summary:text-is("Orders")');
      await op.click('nav.console-nav a:text-is("Orders")');
      const row = op.locator('#orders tbody tr').filter({ hasText: email }).first();
      assert.equal((await row.locator('.order-site').innerText()).trim(), 'north');
      assert.equal((await row.locator('.order-mode').innerText()).trim(), 'entrust');
      assert.equal((await row.locator('.order-state').innerText()).trim(), 'accepted');
      assert.equal(Number(await op.locator('#stock tr[data-product="tent-2p"] .stock-on-hand').innerText()), stockBefore - 1);
      await op.screenshot({ path: join(SCREENSHOT_DIR, 'main-orders.png'), fullPage: true });

      // The same product page on the main site and on north, side by side: same content, each site's colours.
      const shots: Buffer[] = [];
      const looks: { h1: string; price: string; brand: string }[] = [];
      for (const base of [main, north]) {
        const v = await ctx.newPage();
        await v.goto(`${base}/shop/product/tent-2p`);
        looks.push({
          h1: await v.locator('main h1').innerText(),
          price: await v.locator('.product .price').innerText(),
          brand: await v.locator('.masthead').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor),
        });
        shots.push(await v.screenshot({ fullPage: false }));
        await v.close();
      }
      assert.equal(looks[0]!.h1, looks[1]!.h1);
      assert.equal(looks[0]!.price, looks[1]!.price);
      assert.equal(looks[0]!.brand, 'rgb(36, 86, 166)');
      assert.equal(looks[1]!.brand, 'rgb(31, 122, 77)');
      const side = await ctx.newPage();
      await side.setViewportSize({ width: 1820, height: 820 });
      await side.setContent(
        `<body style="margin:0;display:flex;gap:20px;background:#888">${shots.map((b) => `<img src="data:image/png;base64,${b.toString('base64')}" width="900">`).join('')}</body>`,
      );
      await side.screenshot({ path: join(SCREENSHOT_DIR, 'product-main-and-north.png') });
      await ctx.close();
    } finally {
      await browser.close();
    }
  });

  it('stops all three cleanly on Ctrl-C (SIGINT)', async () => {
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.match(out, /All sites stopped/);
    for (const p of ports) await assert.rejects(fetch(`http://127.0.0.1:${p}/healthz`));
  });
});
