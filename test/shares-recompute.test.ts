import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import supertest from 'supertest';
import { hashPassword } from '../common/web/password.js';
import { plannedSharesModule, type SharesService } from '../main-site/planned/index.js';
import type { PartyKind } from '../main-site/portal/index.js';
import { runCli } from './helpers/cli.js';
import { fetchBundle } from './helpers/log-bundle.js';
import { startNetwork, TEST_PASSWORD, TEST_TOKEN, type TestNetwork } from './helpers/network.js';
import { TERMS } from './helpers/shares-terms.js';

const PASSWORD = 'a long password 123';
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

describe('planned shares: offline recompute from bundles, and each party sees only its own lines', function () {
  // The recompute runs the CLI as child processes over bundles: 23 s against the suite's 30 s default on a busy
  // 2-core machine, 88 s once under heavy load. The bound catches a hang, not a slow machine.
  this.timeout(240_000);
  let net: TestNetwork;
  let shares: SharesService;
  const ids: Record<string, string> = {};
  const emails: Record<string, string> = {};
  const at = (t: string) => {
    shares.now = () => new Date(t);
    return t;
  };
  async function party(name: string, kind: PartyKind): Promise<string> {
    emails[name] = `${name}@parties.test`;
    const { party: p } = net.main.portal.invite({ email: emails[name], kind, displayName: name }, 'test');
    net.main.portal.store.activate(p.id, await hashPassword(PASSWORD), new Date().toISOString());
    return (ids[name] = p.id);
  }
  async function login(name: string) {
    const agent = supertest.agent(net.main.url);
    const page = await agent.get('/portal/login').expect(200);
    await agent
      .post('/portal/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: emails[name], password: PASSWORD })
      .expect(303);
    return agent;
  }

  before(async () => {
    net = await startNetwork(['north']);
    shares = net.main.use(plannedSharesModule);
    await party('plan', 'planner');
    await party('other-plan', 'planner');
    for (const c of ['ann', 'bo', 'cy']) await party(c, 'contributor');
    await party('sup', 'supplier');
    at('2027-01-02T09:00:00.000Z');
    shares.setContract(ids.plan!, { ...TERMS, contributorPay: { basis: 'page_sales_by_use', bps: 2500 }, holdingDays: 7, payoutMinimum: 500 });
    shares.setContract(ids['other-plan']!, TERMS);
    at('2027-01-20T09:00:00.000Z');
    shares.setContract(ids.plan!, { ...TERMS, contributorPay: { basis: 'page_sales_by_use', bps: 3000 }, holdingDays: 7, payoutMinimum: 500 }, { effectiveFrom: '2027-02-01T00:00:00.000Z' });
    const contributions = [
      { contribution: 'ann-1', contributor: ids.ann!, uses: 5 },
      { contribution: 'bo-1', contributor: ids.bo!, uses: 3 },
      { contribution: 'cy-1', contributor: ids.cy!, uses: 1 },
    ];
    const sell = (saleId: string, time: string, amount: number, site: string) =>
      shares.recordSale({ saleId, time: at(time), planner: ids.plan!, page: 'alpine-huts', kind: 'page', contributions, amount, currency: 'EUR', site, orderRef: `o-${saleId}` });
    sell('rc-1', '2027-01-21T10:00:00.000Z', 4999, 'north');
    sell('rc-2', '2027-01-29T10:00:00.000Z', 1233, 'main');
    shares.recordSale({
      saleId: 'rc-3',
      time: at('2027-01-30T10:00:00.000Z'),
      planner: ids.plan!,
      page: 'alpine-huts',
      kind: 'contribution',
      contributions: [{ contribution: 'bo-1', contributor: ids.bo! }],
      amount: 799,
      currency: 'EUR',
      site: 'north',
      orderRef: 'o-rc-3',
    });
    shares.recordSale({
      saleId: 'other-1',
      time: at('2027-01-30T11:00:00.000Z'),
      planner: ids['other-plan']!,
      page: 'sea-kayaks',
      kind: 'contribution',
      contributions: [{ contribution: 'ann-9', contributor: ids.ann! }],
      amount: 3001,
      currency: 'EUR',
      site: 'north',
      orderRef: 'o-other-1',
    });
    at('2027-02-01T00:10:00.000Z');
    shares.closeCycles();
    shares.recordRefund({ refundId: 'rc-r1', saleId: 'rc-1', time: at('2027-02-03T10:00:00.000Z'), kind: 'cancellation', amount: 2000, currency: 'EUR', reason: 'partly cancelled' });
    sell('rc-4', '2027-02-10T10:00:00.000Z', 10_007, 'north');
    at('2027-03-01T00:10:00.000Z');
    shares.closeCycles();
    net.main.ctx.log.flush();
    net.main.ctx.log.checkpoint();
  });
  after(() => net.close());

  it("an offline recompute of a planner's and a contributor's statements from the bundle with pinned keys matches the main site's", async () => {
    const dir = net.dir;
    writeFileSync(join(dir, 'main-jwks.json'), await (await fetch(`${net.main.url}/.well-known/jwks.json`)).text());
    writeFileSync(join(dir, 'main.bundle'), await fetchBundle(net.main.url, 'main'));
    const api = ['--url', net.main.url, '--token', TEST_TOKEN];
    const ev = await runCli(['shares', 'evidence', '--planner', ids.plan!, '--out', join(dir, 'evidence.json'), ...api]);
    assert.equal(ev.code, 0, ev.stderr);
    const keys = ['--site-keys', `main=${join(dir, 'main-jwks.json')}`];
    const common = ['shares', 'recompute', '--bundle', join(dir, 'main.bundle'), '--evidence', join(dir, 'evidence.json'), ...keys, ...api];
    for (const [who, role] of [
      ['plan', 'planner'],
      ['ann', 'contributor'],
      ['bo', 'contributor'],
    ] as const) {
      const r = await runCli([...common, '--party', ids[who]!, '--role', role, '--json']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stderr, /matches the main site's statements line by line \(2 statement\(s\)/);
      const out = JSON.parse(r.stdout) as { statements: { lines: { kind: string }[]; restsOn: { size: number } | null }[] };
      assert.ok(out.statements.every((s) => s.restsOn && s.restsOn.size > 0));
      assert.ok(
        out.statements[1]!.lines.some((l) => l.kind === 'cancellation'),
        `${who}: the cancellation reverses a part in February`,
      );
    }
    // The selling partner's handling share, and the main site's, recompute too.
    for (const [site, role] of [
      ['north', 'partner'],
      ['main', 'main'],
    ] as const) {
      const r = await runCli([...common, '--party', site, '--role', role]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stderr, /matches the main site's statements line by line/);
    }
    // The evidence of a planner carries its own records only: bo's line from rc-3 is bo's, ann's sale with the other planner is not there.
    const evidence = JSON.parse(readFileSync(join(dir, 'evidence.json'), 'utf8')) as { sales: { record: { saleId: string; amount: number } }[] };
    assert.deepEqual(evidence.sales.map((s) => s.record.saleId).sort(), ['rc-1', 'rc-2', 'rc-3', 'rc-4']);

    // An altered record no longer matches its signed digest; a left-out sale leaves a signed entry without its record.
    const altered = structuredClone(evidence);
    altered.sales[0]!.record.amount += 100;
    writeFileSync(join(dir, 'altered.json'), JSON.stringify(altered));
    const a = await runCli(['shares', 'recompute', '--bundle', join(dir, 'main.bundle'), '--evidence', join(dir, 'altered.json'), ...keys, '--party', ids.plan!, '--offline']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /MISMATCH between the evidence and the signed log:[\s\S]*digest differs/);
    const missing = { ...evidence, sales: evidence.sales.slice(1) };
    writeFileSync(join(dir, 'missing.json'), JSON.stringify(missing));
    const m = await runCli(['shares', 'recompute', '--bundle', join(dir, 'main.bundle'), '--evidence', join(dir, 'missing.json'), ...keys, '--party', ids.plan!, '--offline']);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /has no record in the evidence/);
    // A stored statement that differs from the log's is found out.
    const stored = JSON.parse((await runCli(['shares', 'statements', '--account', String(shares.accountsOf(ids.ann!).find((x) => x.planner === ids.plan)!.id), '--json', ...api])).stdout) as {
      statements: { lines: { amount: number }[] }[];
    };
    stored.statements[0]!.lines[0]!.amount += 1;
    writeFileSync(join(dir, 'stored.json'), JSON.stringify(stored));
    const d = await runCli([
      'shares',
      'recompute',
      '--bundle',
      join(dir, 'main.bundle'),
      '--evidence',
      join(dir, 'evidence.json'),
      ...keys,
      '--party',
      ids.ann!,
      '--role',
      'contributor',
      '--statements',
      join(dir, 'stored.json'),
    ]);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /MISMATCH with the main site's statements:[\s\S]*line 1: recomputed sale rc-1/);
    // Without pinned keys nothing is recomputed; keys of another site do not verify it.
    assert.equal((await runCli(['shares', 'recompute', '--bundle', join(dir, 'main.bundle'), '--evidence', join(dir, 'evidence.json'), '--party', ids.plan!, '--offline'])).code, 2);
    writeFileSync(join(dir, 'north-jwks.json'), await (await fetch(`${net.partners.north!.url}/.well-known/jwks.json`)).text());
    const wrong = await runCli([
      'shares',
      'recompute',
      '--bundle',
      join(dir, 'main.bundle'),
      '--evidence',
      join(dir, 'evidence.json'),
      '--site-keys',
      `main=${join(dir, 'north-jwks.json')}`,
      '--party',
      ids.plan!,
      '--offline',
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /does not verify/);
  });

  it('a contributor sees only its own lines in the portal; another party’s account answers 404; other kinds have no such section', async () => {
    const bo = await login('bo');
    const page = await bo.get('/portal/shares/').expect(200);
    assert.match(page.text, /As contributor to planner plan</, 'the planner by name, not its party id');
    assert.doesNotMatch(page.text, new RegExp(`planner <code>${ids.plan}`));
    assert.match(page.text, /contribution bo-1/);
    assert.doesNotMatch(page.text, /contribution ann-1|contribution cy-1/, "no other contributor's line");
    assert.doesNotMatch(page.text, /planner share/, "not the planner's lines");
    const json = (await bo.get('/portal/shares/?format=json').expect(200)).body as { account: { party: string }; statements: { lines: { contribution: string }[] }[] };
    assert.equal(json.account.party, ids.bo);
    assert.ok(json.statements.flatMap((s) => s.lines).every((l) => l.contribution === 'bo-1'));
    // Ann's account id, or the planner's, asked for by bo: not found, as if it did not exist.
    for (const other of [shares.accountsOf(ids.ann!)[0]!.id, shares.accountsOf(ids.plan!)[0]!.id, 999_999]) await bo.get(`/portal/shares/?account=${other}`).expect(404);
    // Ann has two accounts (two planners), each her own.
    const ann = await login('ann');
    const annPage = await ann.get('/portal/shares/').expect(200);
    assert.equal((annPage.text.match(/\?account=\d+/g) ?? []).length, 2);
    const plan = await login('plan');
    const planPage = await plan.get('/portal/shares/').expect(200);
    assert.match(planPage.text, /As planner/);
    assert.doesNotMatch(planPage.text, /contributor share/);
    const sup = await login('sup');
    await sup.get('/portal/shares/').expect(404);
    await supertest(net.main.url)
      .get('/portal/shares/')
      .expect((r) => assert.ok(r.status === 303 || r.status === 302 || r.status === 401, `anonymous: ${r.status}`));
  });

  it('the operator console lists every planner’s contract and accounts; the API refuses bad input and changes nothing', async () => {
    const api = supertest(net.main.url);
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const list = await api.get('/admin/api/planned/shares/accounts').set(auth).expect(200);
    assert.equal(list.body.planners.length, 2);
    await api
      .post(`/admin/api/planned/shares/contracts/${ids.plan}`)
      .set(auth)
      .send({ terms: { ...TERMS, plannerShareBps: 9900 } })
      .expect(400);
    await api.post(`/admin/api/planned/shares/contracts/${ids.plan}`).set(auth).send({ terms: TERMS, extra: 1 }).expect(400);
    await api.post(`/admin/api/planned/shares/contracts/${ids.ann}`).set(auth).send({ terms: TERMS }).expect(404);
    await api.post('/admin/api/planned/shares/contracts/not-a-party').set(auth).send({ terms: TERMS }).expect(404);
    await api.post('/admin/api/planned/shares/close').set(auth).send({ now: 'x' }).expect(400);
    await api.get('/admin/api/planned/shares/statements/abc').set(auth).expect(404);
    await api.get('/admin/api/planned/shares/accounts').expect(401);
    assert.equal(shares.contracts(ids.plan!).length, 2, 'nothing changed');
    const op = supertest.agent(net.main.url);
    const login = await op.get('/admin/login').expect(200);
    await op
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: TEST_PASSWORD })
      .expect(303);
    const page = await op.get('/admin/planned/shares').expect(200);
    // Names first, the id beside them for an auditor.
    assert.match(page.text, new RegExp(`Planner plan <small><code>${ids.plan}</code></small>`));
    assert.match(page.text, new RegExp(`<td data-party="${ids.bo}">bo <small><code>${ids.bo}</code></small></td>`));
    assert.match(page.text, /<td class="num">2<\/td><td>2027-02-01T00:00:00.000Z<\/td><td>30.00%<\/td><td>30.00% page_sales_by_use/);
    const account = shares.accountsOf(ids.plan!).find((a) => a.role === 'planner')!;
    const detail = await op.get(`/admin/planned/shares/accounts/${account.id}`).expect(200);
    assert.match(detail.text, /Rests on the main site's log checkpoint of size \d+/);
    assert.match(detail.text, /<h1>Statements: planner plan<\/h1>/);
    assert.match(detail.text, /cancellation <code>rc-r1<\/code>/);
  });
});
