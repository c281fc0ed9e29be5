import assert from 'node:assert/strict';
import supertest from 'supertest';
import { hashPassword } from '../common/web/password.js';
import { CYCLES, cycleAt, cycleOf, lastClosed } from '../main-site/paid/reports/cycles.js';
import { csvField, toCsv } from '../main-site/paid/reports/csv.js';
import { ReportStore } from '../main-site/paid/reports/report-store.js';
import type { SalesReport } from '../main-site/paid/index.js';
import type { PartyKind } from '../main-site/portal/index.js';
import { runCli } from './helpers/cli.js';
import { TEST_PASSWORD, TEST_TOKEN } from './helpers/network.js';
import { Shopper } from './helpers/shopper.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

const PASSWORD = 'supplier password 123';
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** Seed Fig. 23: counts of content 2U0030001-5 (category 2U003) at providers A-D on 2000-01-01, with the figure's totals and ranks. */
const FIG23 = {
  partners: ['a-sha', 'b-sha', 'c-sha', 'd-sha'],
  items: [
    { id: '2u0030001', counts: [10000, 28989, 8790, 6594], total: 54373, rank: 2 },
    { id: '2u0030002', counts: [2489, 5678, 4583, 3498], total: 16248, rank: 4 },
    { id: '2u0030003', counts: [12048, 45678, 10988, 8999], total: 77713, rank: 1 },
    { id: '2u0030004', counts: [987, 2989, 3420, 10980], total: 18376, rank: 3 },
    { id: '2u0030005', counts: [379, 1989, 989, 5980], total: 9337, rank: 5 },
  ],
  partnerTotals: [25903, 85323, 28770, 36051],
  total: 176047,
};

describe('paid sales reports: cycles and RFC 4180 CSV', () => {
  it('names daily, weekly (ISO 8601) and monthly cycles in UTC, round trips them, and refuses periods that do not exist', () => {
    const at = new Date('2026-12-01T05:00:00Z');
    assert.deepEqual(
      CYCLES.map((c) => cycleAt(c, at).period),
      ['2026-12-01', '2026-W49', '2026-12'],
    );
    assert.deepEqual(
      CYCLES.map((c) => lastClosed(c, at).period),
      ['2026-11-30', '2026-W48', '2026-11'],
    );
    const w = cycleOf('weekly', '2026-W49')!;
    assert.equal(w.from.toISOString(), '2026-11-30T00:00:00.000Z');
    assert.equal(w.to.toISOString(), '2026-12-07T00:00:00.000Z');
    assert.equal(w.previousFrom.toISOString(), '2026-11-23T00:00:00.000Z');
    // 1 January 2000 is a Saturday: it belongs to ISO week 52 of 1999.
    assert.equal(cycleAt('weekly', new Date('2000-01-01T12:00:00Z')).period, '1999-W52');
    assert.equal(cycleOf('weekly', '2020-W53')!.from.toISOString(), '2020-12-28T00:00:00.000Z');
    assert.equal(cycleOf('monthly', '2026-02')!.to.toISOString(), '2026-03-01T00:00:00.000Z');
    for (const [c, p] of [
      ['daily', '2026-02-30'],
      ['weekly', '2027-W53'],
      ['monthly', '2026-13'],
      ['daily', '2026-1-01'],
    ] as const)
      assert.equal(cycleOf(c, p), undefined, `${c} ${p}`);
  });

  it('writes RFC 4180 CSV: CRLF records, quoted commas, quotes, CR and LF, and no formulas from text', () => {
    assert.equal(toCsv(['a', 'b'], [['x', 1]]), 'a,b\r\nx,1\r\n');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\r\nlines'), '"two\r\nlines"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(-9.09), '-9.09');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('-1'), "'-1");
  });
});

describe("paid sales reports: per item by partner and per partner by item, in each supplier's cycles, at the portal, console, CLI and as notices", function () {
  this.timeout(180000);
  let net: SyncNetwork;
  const supplier: Record<'a' | 'b', { id: string; email: string }> = { a: { id: '', email: 'a@suppliers.test' }, b: { id: '', email: 'b@suppliers.test' } };
  let userId: string;
  let n = 0;
  const idem = () => `report-test-${String(++n).padStart(4, '0')}`;
  const report = async (q: string) => {
    const res = await api(net.main.url, 'GET', `/admin/api/paid/reports?${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.report as SalesReport;
  };

  async function party(email: string, kind: PartyKind, name: string): Promise<string> {
    const { party: p } = net.main.portal.invite({ email, kind, displayName: name }, 'test');
    net.main.portal.store.activate(p.id, await hashPassword(PASSWORD), new Date().toISOString());
    return p.id;
  }
  async function login(email: string) {
    const agent = supertest.agent(net.main.url);
    const page = await agent.get('/portal/login').expect(200);
    await agent
      .post('/portal/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email, password: PASSWORD })
      .expect(303);
    return agent;
  }

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }, { id: 'south' }]);
    supplier.a.id = await party(supplier.a.email, 'supplier', 'Maru Club');
    supplier.b.id = await party(supplier.b.email, 'supplier', 'Letters Ltd');
    for (const it of FIG23.items) {
      net.write(
        `paid/${it.id}/item.json`,
        JSON.stringify({ id: it.id, title: `Club ${it.id}`, supplier: supplier.a.id, category: '2u003', charge: { type: 'per_access', price: { amount: 100, currency: 'JPY' } } }),
      );
      net.write(`paid/${it.id}/pages/index.md`, `# ${it.id}\n`);
    }
    net.write(
      'paid/b-letter/item.json',
      JSON.stringify({ id: 'b-letter', title: 'The B letter', supplier: supplier.b.id, category: 'letters', charge: { type: 'per_period', period: 'month', price: { amount: 500, currency: 'EUR' } } }),
    );
    net.write('paid/b-letter/pages/index.md', '# B\n');
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'report items' })).status, 201);
    for (const p of ['north', 'south']) assert.equal((await api(net.main.url, 'POST', `/admin/api/partners/${p}/push`, {})).body.outcome, 'active');
    const shopper = new Shopper(net.partners.north!.url);
    assert.equal((await shopper.register('reports@example.org', 'a long enough passphrase')).status, 303);
    userId = (await api(net.main.url, 'GET', '/admin/api/users')).body.users[0].id;
    // The figure's inputs, as key records of 1 January 2000 (one INSERT ... SELECT per cell).
    const store = new ReportStore(net.main.ctx.db);
    store.transaction(() => {
      for (const it of FIG23.items) {
        it.counts.forEach((count, i) =>
          store.insertSyntheticKeys({
            count,
            partners: FIG23.partners[i]!,
            items: it.id,
            from: new Date('2000-01-01T00:00:00Z'),
            to: new Date('2000-01-02T00:00:00Z'),
            amount: 100,
            currency: 'JPY',
            idPrefix: `fig23-${it.id}-${i}-`,
          }),
        );
      }
    });
  });
  after(() => net.close());

  it("reproduces seed Fig. 23's totals and ranks from the same inputs", async () => {
    const r = await report(`cycle=daily&period=2000-01-01&supplier=${supplier.a.id}`);
    assert.deepEqual(
      r.items.map((i) => [i.item, i.total.accesses, i.rank, i.categoryRank]),
      [...FIG23.items].sort((x, y) => x.rank - y.rank).map((i) => [i.id, i.total, i.rank, i.rank]),
    );
    for (const it of FIG23.items) {
      const row = r.items.find((i) => i.item === it.id)!;
      assert.deepEqual(
        row.partners.map((p) => [p.partner, p.accesses]),
        FIG23.partners.map((p, i) => [p, it.counts[i]]),
      );
      // Per access: every key is a valid access; all on the 1st, the first ten-day part; nothing the day before.
      assert.deepEqual([row.total.valid, row.total.tenDays, row.total.growth], [it.total, [it.total, 0, 0], null]);
      assert.deepEqual(row.total.sales, { JPY: it.total * 100 });
    }
    assert.deepEqual(
      r.partners.map((p) => [p.partner, p.total.accesses]),
      FIG23.partners.map((p, i) => [p, FIG23.partnerTotals[i]]),
    );
    assert.equal(r.total.accesses, FIG23.total);
    assert.equal(r.restsOn?.size, net.main.ctx.logStore.latestCheckpoint()?.size, 'names the latest checkpoint');
    // The same in CSV: the item's TOTAL record and the grand total.
    const csv = await supertest(net.main.url)
      .get(`/admin/api/paid/reports?cycle=daily&period=2000-01-01&supplier=${supplier.a.id}&format=csv`)
      .set('authorization', `Bearer ${TEST_TOKEN}`)
      .expect(200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.ok(csv.text.includes('\r\ndaily,2000-01-01,2u0030003,Club 2u0030003,2u003,TOTAL,1,1,77713,77713,0,0,0,0,0,77713,0,,7771300 JPY\r\n'), csv.text.slice(0, 600));
    assert.ok(csv.text.endsWith('\r\ndaily,2000-01-01,TOTAL,,,TOTAL,,,176047,176047,0,0,0,0,0,176047,0,,17604700 JPY\r\n'));
    // The next day: growth against it is -100 %.
    const next = await report(`cycle=daily&period=2000-01-02&supplier=${supplier.a.id}`);
    assert.deepEqual([next.total.valid, next.total.previousValid, next.total.growth], [0, FIG23.total, -100]);
  });

  it('counts keys issued over s2s and subscriptions registered by partners in the current cycle, with new, continuing, valid and growth', async () => {
    const north = net.partners.north!;
    const south = net.partners.south!;
    for (let i = 0; i < 3; i++) await north.paid.requestKey(userId, '2u0030001', '127.0.0.1', idem());
    await south.paid.requestKey(userId, '2u0030001', '127.0.0.1', idem());
    await north.paid.subscribe(userId, 'b-letter', '127.0.0.1');
    await north.paid.requestKey(userId, 'b-letter', '127.0.0.1', idem());
    const now = new Date();
    const day = now.toISOString().slice(0, 10);
    const part = now.getUTCDate() <= 10 ? 0 : now.getUTCDate() <= 20 ? 1 : 2;
    const all = await report(`cycle=daily&period=${day}`);
    const club = all.items.find((i) => i.item === '2u0030001')!;
    assert.deepEqual(
      club.partners.map((p) => [p.partner, p.accesses, p.tenDays[part], p.sales]),
      [
        ['north', 3, 3, { JPY: 300 }],
        ['south', 1, 1, { JPY: 100 }],
      ],
    );
    assert.equal(club.rank, 1);
    const letter = all.items.find((i) => i.item === 'b-letter')!;
    assert.deepEqual(
      letter.partners.map((p) => [p.partner, p.registered, p.monthToDate, p.continuing, p.valid, p.accesses, p.growth, p.sales]),
      [['north', 1, 1, 0, 1, 1, null, { EUR: 500 }]],
    );
    // Per partner totalled by item.
    const northRow = all.partners.find((p) => p.partner === 'north')!;
    assert.deepEqual(
      northRow.items.map((i) => i.item),
      ['2u0030001', 'b-letter'],
    );
    assert.equal(northRow.total.accesses, 4);
    // The next day the subscription continues: valid 1, 0 new, growth 0 %.
    const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
    const next = (await report(`cycle=daily&period=${tomorrow}&supplier=${supplier.b.id}`)).items[0]!;
    assert.deepEqual([next.total.registered, next.total.continuing, next.total.valid, next.total.growth], [0, 1, 1, 0]);
    // A period that does not exist is refused with a stable code.
    const bad = await api(net.main.url, 'GET', '/admin/api/paid/reports?cycle=weekly&period=2026-11');
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_period']);
  });

  it("a supplier sees only its own items at the portal, as a page, CSV and JSON; another supplier's item is refused", async () => {
    const a = await login(supplier.a.email);
    const page = await a.get('/portal/sales/?cycle=daily&period=2000-01-01').expect(200);
    // The portal's header marks the section shown, and only it.
    assert.deepEqual(
      [...page.text.matchAll(/<a href="([^"]+)" aria-current="page">/g)].map((m) => m[1]),
      ['/portal/sales/'],
    );
    assert.match(page.text, /<a href="\/portal\/inbox">Inbox/);
    assert.match(page.text, /<span data-from="2000-01-01T00:00:00.000Z" data-to="2000-01-02T00:00:00.000Z">2000-01-01 \(UTC\)<\/span>/);
    assert.match(page.text, /data-item="2u0030003"/);
    assert.doesNotMatch(page.text, /b-letter/);
    assert.match(page.text, /data-rank="1"/);
    // Nothing in the request chooses whose report it is.
    const json = await a.get(`/portal/sales/?cycle=daily&period=2000-01-01&format=json&supplier=${supplier.b.id}`).expect(200);
    const r = json.body.report as SalesReport;
    assert.equal(r.supplier, supplier.a.id);
    assert.deepEqual([...new Set(r.items.map((i) => i.supplier))], [supplier.a.id]);
    assert.equal(r.total.accesses, FIG23.total);
    await a.get('/portal/sales/?item=b-letter').expect(404);
    const csv = await a.get('/portal/sales/?cycle=daily&period=2000-01-01&format=csv&view=partners').expect(200);
    assert.ok(csv.text.startsWith('cycle,period,item,title,category,partner,rank,category_rank,accesses,'));
    assert.ok(csv.text.includes('\r\ndaily,2000-01-01,TOTAL,,,b-sha,,,85323,'), csv.text.slice(0, 400));
    assert.doesNotMatch(csv.text, /b-letter/);
    const b = await login(supplier.b.email);
    const bPage = await b.get('/portal/sales/').expect(200);
    assert.doesNotMatch(bPage.text, /2u00300/);
    // It opens on the last closed month, with the month in progress one link away.
    const thisMonth = new Date().toISOString().slice(0, 7);
    const link = /<a data-current-period href="([^"]+)">This month so far \(([^)]+)\)<\/a>/.exec(bPage.text);
    assert.ok(link, 'a link to the month in progress');
    assert.equal(link[2], thisMonth);
    const current = await b.get(link[1]!.replaceAll('&amp;', '&')).expect(200);
    assert.match(current.text, new RegExp(`data-period="${thisMonth}"[^]*?, in progress\\.`));
    assert.doesNotMatch(current.text, /data-current-period/);
    await b.get('/portal/sales/?item=2u0030001').expect(404);
    // Another kind of party has no such section.
    await party('ads@advertisers.test', 'advertiser', 'Ads Co');
    const ads = await login('ads@advertisers.test');
    await ads.get('/portal/sales/').expect(404);
  });

  it('a supplier chooses its cycles at the portal; when a cycle closes each supplier gets its report once, as a notice resting on a checkpoint', async () => {
    const a = await login(supplier.a.email);
    const page = await a.get('/portal/sales/').expect(200);
    await a
      .post('/portal/sales/cycles')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(400);
    await a
      .post('/portal/sales/cycles')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), daily: 'on', weekly: 'on' })
      .expect(303);
    assert.deepEqual((await api(net.main.url, 'GET', `/admin/api/paid/reports/cycles/${supplier.a.id}`)).body.cycles, {
      ...(await api(net.main.url, 'GET', `/admin/api/paid/reports/cycles/${supplier.a.id}`)).body.cycles,
      daily: true,
      weekly: true,
      monthly: false,
      chosen: true,
    });
    const reports = net.main.paidReports;
    // Within the grace after midnight, 1 January is not sent yet (the week and the month closed long before are); then it is.
    const early = reports.closeCycles(new Date('2000-01-02T00:00:30Z')).sent;
    assert.ok(!early.some((s) => s.period === '2000-01-01'), JSON.stringify(early));
    const sent = [...early, ...reports.closeCycles(new Date('2000-01-02T00:05:00Z')).sent];
    const order = (x: { supplier: string; cycle: string }) => `${x.supplier === supplier.a.id ? 0 : 1}${x.cycle}`;
    sent.sort((x, y) => order(x).localeCompare(order(y)));
    assert.deepEqual(
      sent.map((s) => [s.supplier, s.cycle, s.period]),
      [
        [supplier.a.id, 'daily', '2000-01-01'],
        [supplier.a.id, 'weekly', '1999-W51'],
        [supplier.b.id, 'monthly', '1999-12'],
      ],
    );
    // Once per supplier and cycle, whatever the number of runs.
    assert.deepEqual(reports.closeCycles(new Date('2000-01-02T00:10:00Z')).sent, []);
    const daily = net.main.notices.get(sent[0]!.noticeId)!;
    assert.equal(daily.kind, 'sales_report');
    assert.match(daily.text, /Club 2u0030003 \(2u0030003\): 77713 accesses/);
    assert.match(daily.text, /rests on the main site's log checkpoint of size \d+/);
    assert.equal(net.main.notices.list({ kind: 'sales_report' }).filter((x) => x.party === supplier.b.id).length, 1);
    const rec = reports.store.sentReports(supplier.a.id).find((s) => s.cycle === 'daily')!;
    assert.ok(rec.checkpointSize! > 0 && net.main.ctx.logStore.checkpointAtMost(rec.checkpointSize!)!.size === rec.checkpointSize);
    // The supplier finds it in its inbox; B's report is not in A's.
    const inbox = await a.get('/portal/inbox').expect(200);
    assert.match(inbox.text, new RegExp(`data-notice="${sent[0]!.noticeId}"`));
    assert.doesNotMatch(inbox.text, new RegExp(sent[2]!.noticeId));
  });

  it('the operator sees every item at /admin/paid/reports and with `tieup paid reports`', async () => {
    const cli = (...args: string[]) => runCli([...args, '--url', net.main.url, '--token', TEST_TOKEN]);
    const out = await cli('paid', 'reports', '--cycle', 'daily', '--period', '2000-01-01');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /2u0030003 {2}Club 2u0030003 {2}rank 1\/\d+, 1 in 2u003/);
    assert.match(out.stdout, /ALL +accesses 176047/);
    // The period in days a reader reads, not as two instants.
    assert.match(out.stdout, /^daily 2000-01-01: 2000-01-01 \(UTC\)/m);
    const month = await cli('paid', 'reports', '--cycle', 'monthly', '--period', '2000-02');
    assert.match(month.stdout, /^monthly 2000-02: 2000-02-01 to 2000-02-29 \(UTC\)/m, 'the last day of a leap February');
    const byPartner = await cli('paid', 'reports', '--cycle', 'daily', '--period', '2000-01-01', '--by', 'partner', '--csv');
    assert.equal(byPartner.code, 0, byPartner.stderr);
    assert.match(byPartner.stdout, /daily,2000-01-01,TOTAL,,,d-sha,,,36051,/);
    const json = await cli('paid', 'reports', '--cycle', 'daily', '--period', '2000-01-01', '--json');
    assert.equal(JSON.parse(json.stdout).report.total.accesses, FIG23.total);
    const op = supertest.agent(net.main.url);
    const login = await op.get('/admin/login').expect(200);
    await op
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: TEST_PASSWORD })
      .expect(303);
    const page = await op.get('/admin/paid/reports?cycle=daily&period=2000-01-01&view=partners').expect(200);
    assert.match(page.text, /data-partner="b-sha"/);
    assert.match(page.text, /data-item="b-letter"|data-item="2u0030001"/);
    assert.match(page.text, /<td>daily<\/td><td>2000-01-01<\/td>/);
  });
});
