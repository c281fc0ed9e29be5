import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import type { EntryFields } from '../common/logchain/entry.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { fakeView } from './helpers/log-bundle.js';
import { startNetwork, TEST_PASSWORD, type TestNetwork } from './helpers/network.js';
import { api } from './helpers/sync-network.js';

type Agent = ReturnType<typeof supertest.agent>;
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
const CONTRACT = {
  currency: 'EUR',
  timeZone: 'UTC',
  versions: [{ effectiveFrom: '2026-01-01', terms: { baseFee: { link: 2000, template: 5000, content: 10000 }, services: { integrityWatch: 1500 } } }],
};

describe('fees page: CSV download, a chart with axes, values and a legend, bad periods refused, closing confirmed and only while open', function () {
  this.timeout(60000);
  let net: TestNetwork;
  let admin: Agent;
  const at = (iso: string, f: Partial<EntryFields> = {}): EntryFields => ({ ...fakeView('north', 0), time: iso, ...f });

  before(async () => {
    net = await startNetwork(['north']);
    const north = net.partners.north!;
    // Traffic in October (10 views) and November (30); none from January to September.
    for (let i = 0; i < 10; i++) north.ctx.log.append(at(`2026-10-10T10:00:0${i}.000Z`));
    for (let i = 0; i < 30; i++) north.ctx.log.append(at(`2026-11-02T10:00:${String(i).padStart(2, '0')}.000Z`));
    north.ctx.log.flush();
    assert.equal((await shipLog(north.ctx, north.ctx.logStore)).error, undefined);
    assert.equal((await api(net.main.url, 'PUT', '/admin/api/partners/north/fee-contract', CONTRACT)).status, 200);
    admin = supertest.agent(net.main.url);
    const login = await admin.get('/admin/login').expect(200);
    await admin
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: TEST_PASSWORD })
      .expect(303);
  });
  after(() => net.close());

  it('draws fee bars and the access line against two labelled axes, with values and a legend; quiet months pale, months before the contract empty', async () => {
    const page = (await admin.get('/admin/fees?period=2026-11').expect(200)).text;
    const svg = /<svg class="fee-chart"[\s\S]*?<\/svg>/.exec(page)![0];
    assert.match(svg, /role="img" aria-label="north: fee and page accesses per period, 2025-12 to 2026-11; no fee contract before 2026-01"/);
    for (const p of ['25-12', '26-01', '26-06', '26-11']) assert.ok(svg.includes(`>${p}</text>`), `period ${p} labelled`);
    assert.match(svg, />Fee \(EUR\)</);
    assert.match(svg, />Accesses</);
    assert.match(svg, />0\.00 EUR</, 'the fee axis starts at zero, with a money label');
    assert.match(svg, />Fee \(left axis\)<[\s\S]*>no accesses<[\s\S]*>Page accesses \(right axis\)<[\s\S]*before the fee contract/, 'a legend for each mark');
    const busy = [...svg.matchAll(/<rect [^>]*fill="#5b7fb8"><title>([^<]+)<\/title>/g)].map((m) => m[1]);
    const quiet = [...svg.matchAll(/<rect [^>]*fill="#c5d3e8"><title>([^<]+)<\/title>/g)].map((m) => m[1]);
    assert.deepEqual(
      busy.map((t) => t!.slice(0, 7)),
      ['2026-10', '2026-11'],
      'only months with traffic look busy',
    );
    assert.match(busy[1]!, /2026-11: [\d.,]+ EUR, 30 page accesses/);
    assert.equal(quiet.length, 9, 'January to September: the fixed fee, drawn pale, "no page accesses"');
    assert.ok(quiet.every((t) => t!.endsWith('no page accesses')));
    assert.match(svg, /<title>2025-12: before the fee contract<\/title>/);
    const statement = (await api(net.main.url, 'GET', '/admin/api/fees/statements/north/2026-11')).body as { total: number };
    const label = (statement.total / 100).toFixed(2);
    assert.ok(svg.includes(`>${label}</text>`), `the November bar carries its value ${label}`);
  });

  it('downloads the period’s statements as CSV from the page (console session), one row per line and the total', async () => {
    const page = (await admin.get('/admin/fees?period=2026-11').expect(200)).text;
    assert.ok(page.includes('href="/admin/fees/statements.csv?period=2026-11" download'));
    const csv = await admin.get('/admin/fees/statements.csv?period=2026-11').expect(200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="statements-2026-11.csv"/);
    const rows = parse<Record<string, string>>(csv.text, { columns: true });
    const statement = (await api(net.main.url, 'GET', '/admin/api/fees/statements/north/2026-11')).body as { total: number; lines: { code: string; amount: number }[] };
    assert.deepEqual(
      rows.map((r) => [r.partner, r.line, Number(r.amount_minor)]),
      [...statement.lines.map((l) => ['north', l.code, l.amount]), ['north', 'total', statement.total]],
    );
    const anonymous = await supertest(net.main.url).get('/admin/fees/statements.csv?period=2026-11');
    assert.notEqual(anonymous.status, 200, 'no CSV without a console session');
    assert.doesNotMatch(anonymous.text, /partner,period/);
  });

  it('refuses a malformed or future period with a message, and shows no statement, download or close button for it', async () => {
    for (const [q, says] of [
      ['2026-13', /&#34;2026-13&#34; is not a period: write it as YYYY-MM|"2026-13" is not a period: write it as YYYY-MM/],
      ['november', /is not a period/],
      ['2099-01', /2099-01 has not started yet/],
    ] as const) {
      const r = await admin.get(`/admin/fees?period=${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.text, says);
      assert.match(r.text, /role="alert"/);
      assert.doesNotMatch(r.text, /data-statement=|statements\.csv|action="\/admin\/fees\/close"/);
      assert.equal((await admin.get(`/admin/fees/statements.csv?period=${q}`)).status, 400);
    }
  });

  it('"Close" asks first, naming what closing means; a closed period has no button, only its state', async () => {
    let page = (await admin.get('/admin/fees?period=2026-10').expect(200)).text;
    assert.match(page, /<button type="submit">Close 2026-10…<\/button>/);
    const ask = await admin
      .post('/admin/fees/close')
      .type('form')
      .send({ _csrf: csrfFrom(page), period: '2026-10' })
      .expect(200);
    assert.match(ask.text, /Close 2026-10\?[\s\S]*freezes every partner(?:'|&#39;)s statement[\s\S]*cannot be undone/);
    assert.equal((await api(net.main.url, 'GET', '/admin/api/fees/statements/north/2026-10')).body.status, 'draft', 'nothing closed before the confirmation');
    await admin
      .post('/admin/fees/close')
      .type('form')
      .send({ _csrf: csrfFrom(page), period: '2026-10', confirmed: 'yes' })
      .expect(303);
    page = (await admin.get('/admin/fees?period=2026-10').expect(200)).text;
    assert.doesNotMatch(page, /action="\/admin\/fees\/close"/);
    assert.match(page, /2026-10 is closed: its statements are frozen/);
    assert.match((await admin.get('/admin/fees?period=2026-11').expect(200)).text, /Close 2026-11…/, 'the next period is still open');
  });
});
