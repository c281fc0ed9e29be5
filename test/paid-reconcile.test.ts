import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import supertest from 'supertest';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper } from './helpers/shopper.js';
import { runCli } from './helpers/cli.js';
import { TEST_PASSWORD, TEST_TOKEN } from './helpers/network.js';
import { fetchBundle } from './helpers/log-bundle.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { computeSupplierStatement, salesSummary, type SupplierContract } from '../common/paid/index.js';

const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

describe('paid reconciliation: Fig. 28 and Fig. 30 arithmetic', () => {
  it("reproduces the seed's Fig. 28 (valid, partner sales, the main site's 50%, growth) from the same inputs", () => {
    const s = salesSummary(
      [
        { item: 'club', chargeType: 'per_period', price: 1000, newCount: 206, continuing: 206 },
        { item: 'web', chargeType: 'per_period', price: 500, newCount: 282, continuing: 227 },
        { item: 'astrology', chargeType: 'per_access', price: 300, newCount: 270, continuing: 297 },
        { item: 'fortune', chargeType: 'per_access', price: 300, newCount: 994, continuing: 960 },
      ],
      5000,
    );
    assert.deepEqual(
      s.rows.map((r) => [r.valid, r.partnerSales, r.mainShare, r.growthBp]),
      [
        [412, 412_000, 206_000, 10_000],
        // The figure prints 454,500 here; 500 x 509 is 254,500, which its own totals (666,500 and 127,250) confirm.
        [509, 254_500, 127_250, 12_423],
        [270, 81_000, 40_500, -909],
        [994, 298_200, 149_100, 354],
      ],
    );
    assert.deepEqual(s.perPeriod, { newCount: 488, continuing: 433, valid: 921, partnerSales: 666_500, mainShare: 333_250 });
    assert.deepEqual(s.perAccess, { newCount: 1264, continuing: 1257, valid: 1264, partnerSales: 379_200, mainShare: 189_600 });
    assert.deepEqual(s.total, { newCount: 1752, continuing: 1690, valid: 2185, partnerSales: 1_045_700, mainShare: 522_850 });
  });

  it('reproduces Fig. 30: 300 yen per subscriber x 10,000 subscribers = 3,000,000 yen', () => {
    const contract: SupplierContract = { supplier: 'ox', party: 'p-1', effectiveFrom: '2000-01', currency: 'JPY', items: [{ item: 'club', basis: { type: 'per_subscriber', unitPrice: 300 } }] };
    const charges = Array.from({ length: 10_000 }, (_, i) => ({ id: `s${i}`, kind: 'period' as const, item: 'club', user: `u${i}`, at: '2000-01-05T00:00:00.000Z', amount: 1000 }));
    const st = computeSupplierStatement(contract, 1, '2000-01', [{ partner: 'a', included: true, reason: null, charges }]);
    assert.equal(st.total, 3_000_000);
    assert.deepEqual(
      st.lines.map((l) => [l.quantity, l.rate, l.amount]),
      [[10_000, 300, 3_000_000]],
    );
  });
});

describe('paid reconciliation and supplier statements with real servers', function () {
  this.timeout(120000);
  let net: SyncNetwork;
  let u1: string;
  let u2: string;
  let n = 0;
  const idem = () => `reconcile-idempotency-${String(++n).padStart(4, '0')}`;
  const period = new Date().toISOString().slice(0, 7);
  const north = () => net.partners.north!;
  const submitCsv = (csv: string) => api(north().url, 'POST', '/manage/api/paid/statements', { period, currency: 'EUR', csv });

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }]);
    net.write(
      'paid/trail-guide/item.json',
      JSON.stringify({ id: 'trail-guide', title: 'Guide', supplier: 'fernhill-press', category: 'guides', charge: { type: 'per_access', price: { amount: 300, currency: 'EUR' } } }),
    );
    net.write(
      'paid/monthly-digest/item.json',
      JSON.stringify({ id: 'monthly-digest', title: 'Digest', supplier: 'fernhill-press', category: 'news', charge: { type: 'per_period', period: 'month', price: { amount: 500, currency: 'EUR' } } }),
    );
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'paid items' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/north/push', {})).body.outcome, 'active');
    for (const email of ['one@example.org', 'two@example.org']) assert.equal((await new Shopper(north().url).register(email, 'a long enough passphrase')).status, 303);
    const users = (await api(net.main.url, 'GET', '/admin/api/users')).body.users as { id: string; email: string }[];
    u1 = users.find((u) => u.email === 'one@example.org')!.id;
    u2 = users.find((u) => u.email === 'two@example.org')!.id;
    await north().paid.requestKey(u1, 'trail-guide', '127.0.0.1', idem());
    await north().paid.requestKey(u1, 'trail-guide', '127.0.0.1', idem());
    await north().paid.requestKey(u2, 'trail-guide', '127.0.0.1', idem());
    await north().paid.subscribe(u1, 'monthly-digest', '127.0.0.1');
  });
  after(() => net.close());

  it("a statement from the partner's records reconciles, resting on both logs' checkpoints", async () => {
    const r = await api(north().url, 'POST', '/manage/api/paid/statements', { period });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.status, 'reconciled');
    assert.equal(r.body.version, 1);
    assert.ok(r.body.mainCheckpoint.size > 0 && r.body.partnerCheckpoint.size > 0);
    assert.deepEqual(
      r.body.items.map((i: { item: string; main: { count: number; amount: number } }) => [i.item, i.main.count, i.main.amount]),
      [
        ['monthly-digest', 1, 500],
        ['trail-guide', 3, 900],
      ],
    );
  });

  it('the recomputation from the two bundles with pinned keys matches the online reconciliation', async () => {
    assert.equal((await shipLog(north().ctx, north().ctx.logStore)).error, undefined);
    const dir = net.dir;
    for (const [id, url] of [
      ['north', north().url],
      ['main', net.main.url],
    ] as const)
      writeFileSync(join(dir, `${id}-jwks.json`), await (await fetch(`${url}/.well-known/jwks.json`)).text());
    writeFileSync(join(dir, 'main.bundle'), await fetchBundle(net.main.url, 'main'));
    writeFileSync(join(dir, 'north.bundle'), await fetchBundle(net.main.url, 'north'));
    const keys = ['--site-keys', `main=${join(dir, 'main-jwks.json')}`, '--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
    const bundles = ['--bundle', join(dir, 'main.bundle'), '--partner-bundle', join(dir, 'north.bundle'), '--period', period];
    const r = await runCli(['paid', 'reconcile', ...bundles, ...keys, '--url', net.main.url, '--token', TEST_TOKEN, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stderr, /matches the main site's reconciliation \(version 1, reconciled\)/);
    const offline = JSON.parse(r.stdout) as { outcome: string; lines: unknown[] };
    const online = (await api(net.main.url, 'GET', `/admin/api/paid/reconciliations/north/${period}`)).body;
    assert.equal(offline.outcome, 'reconciled');
    assert.deepEqual(offline.lines, online.lines);
    // Without pinned keys nothing is recomputed.
    assert.equal((await runCli(['paid', 'reconcile', ...bundles, '--offline'])).code, 2);
  });

  it('classifies each kind of difference and holds the statement; both consoles show the same page', async () => {
    const at = new Date().toISOString();
    const csv = [
      'item,user,at,amount',
      `trail-guide,${u1},${at},300`, // u1 has two keys at the main site: count differs
      `monthly-digest,${u1},${at},400`, // amount differs
      `trail-guide,ghost,${at},300`, // missing at the main site
      `trail-guide,${u1},2000-01-01T00:00:00.000Z,300`, // outside the period
      // u2's key is not listed: missing at the partner
    ].join('\n');
    const r = await submitCsv(csv);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.status, 'held');
    assert.equal(r.body.version, 2);
    assert.deepEqual(r.body.differences, { missing_at_main: 1, missing_at_partner: 1, count_differs: 1, amount_differs: 1, outside_period: 1 });
    const byStatus = Object.fromEntries(r.body.lines.map((l: { status: string; user: string; item: string }) => [l.status, `${l.item}/${l.user}`]));
    assert.deepEqual(byStatus, {
      count_differs: `trail-guide/${u1}`,
      amount_differs: `monthly-digest/${u1}`,
      missing_at_main: 'trail-guide/ghost',
      missing_at_partner: `trail-guide/${u2}`,
      outside_period: `trail-guide/${u1}`,
    });
    const login = async (url: string, base: string, username: string) => {
      const agent = supertest.agent(url);
      const page = await agent.get(`${base}/login`).expect(200);
      await agent
        .post(`${base}/login`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), username, password: TEST_PASSWORD })
        .expect(303);
      return agent;
    };
    const main = await (await login(net.main.url, '/admin', 'operator')).get(`/admin/paid/reconciliations/north/${period}`);
    const partner = await (await login(north().url, '/manage', 'manager')).get(`/manage/paid/reconciliation?period=${period}`);
    for (const page of [main, partner]) {
      assert.equal(page.status, 200, page.text.slice(0, 300));
      const body = /<section class="card" id="reconciliation"[\s\S]*?<\/section>/.exec(page.text)![0];
      assert.match(body, /data-status="held"/);
      assert.match(body, /missing at the main site: <strong>1<\/strong>/);
    }
    assert.equal(/<section class="card" id="reconciliation"[\s\S]*?<\/section>/.exec(main.text)![0], /<section class="card" id="reconciliation"[\s\S]*?<\/section>/.exec(partner.text)![0]);
  });

  it('a held statement holds the supplier lines, which say why; accepted with a reason, they count', async () => {
    const dir = net.dir;
    const supplier = net.main.portal.invite({ email: 'fernhill@example.org', kind: 'supplier', displayName: 'Fernhill Press' }, 'test').party.id;
    const contract = {
      supplier: 'fernhill-press',
      party: supplier,
      effectiveFrom: '2020-01',
      currency: 'EUR',
      items: [
        { item: 'trail-guide', basis: { type: 'unit_price_per_access', unitPrice: 120 } },
        { item: 'monthly-digest', basis: { type: 'per_subscriber', unitPrice: 200 } },
      ],
    };
    const bad = await api(net.main.url, 'POST', '/admin/api/paid/supplier-contracts', { ...contract, items: [{ item: 'trail-guide', basis: { type: 'unit_price_per_access', unitPrice: 1.5 } }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_supplier_contract');
    writeFileSync(join(dir, 'contract.json'), JSON.stringify(contract));
    const set = await runCli(['paid', 'statements', 'contract', '--file', join(dir, 'contract.json'), '--url', net.main.url, '--token', TEST_TOKEN]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /fernhill-press: contract version 1/);
    const held = await api(net.main.url, 'POST', '/admin/api/paid/supplier-statements', { supplier: 'fernhill-press', period });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    assert.equal(held.body.statement.total, 0);
    assert.ok(held.body.statement.lines.every((l: { status: string; note: string }) => l.status === 'held' && /north's statement for .* is held: 1 missing at the main site/.test(l.note)));
    // Accepting needs a reason.
    assert.equal((await api(net.main.url, 'POST', `/admin/api/paid/reconciliations/north/${period}/accept`, {})).body.error.code, 'reason_required');
    const acc = await runCli(['paid', 'reconcile', 'accept', '--partner', 'north', '--period', period, '--reason', 'ghost was a test account', '--url', net.main.url, '--token', TEST_TOKEN]);
    assert.equal(acc.code, 0, acc.stderr);
    const view = (await api(net.main.url, 'GET', `/admin/api/paid/reconciliations/north/${period}`)).body;
    assert.equal(view.status, 'accepted');
    assert.equal(view.accepted.reason, 'ghost was a test account');
    const counted = await api(net.main.url, 'POST', '/admin/api/paid/supplier-statements', { supplier: 'fernhill-press', period });
    assert.equal(counted.body.revision, 2);
    // The main site's records: 3 accesses x 120, 1 subscriber x 200.
    assert.deepEqual(
      counted.body.statement.lines.map((l: { item: string; basis: string; quantity: number; amount: number; status: string }) => [l.item, l.basis, l.quantity, l.amount, l.status]),
      [
        ['trail-guide', 'unit_price_per_access', 3, 360, 'included'],
        ['monthly-digest', 'per_subscriber', 1, 200, 'included'],
      ],
    );
    assert.equal(counted.body.statement.total, 560);
  });

  it('a corrected resubmission reconciles as a new version; every version is kept', async () => {
    const r = await api(north().url, 'POST', '/manage/api/paid/statements', { period });
    assert.equal(r.body.status, 'reconciled');
    assert.equal(r.body.version, 3);
    assert.deepEqual(
      r.body.versions.map((v: { version: number; status: string }) => [v.version, v.status]),
      [
        [1, 'superseded'],
        [2, 'superseded'],
        [3, 'reconciled'],
      ],
    );
    assert.equal((await api(net.main.url, 'GET', `/admin/api/paid/reconciliations/north/${period}?version=2`)).body.accepted.reason, 'ghost was a test account');
  });

  it('supplier statements by royalty per delivery, fixed placement fee and fixed fee per period (rounded once per line); a notice is sent', async () => {
    const supplier = (await api(net.main.url, 'GET', '/admin/api/paid/supplier-contracts?supplier=fernhill-press')).body.contracts[0].contract.party as string;
    const v2 = await api(net.main.url, 'POST', '/admin/api/paid/supplier-contracts', {
      supplier: 'fernhill-press',
      party: supplier,
      effectiveFrom: period,
      currency: 'EUR',
      items: [
        { item: 'trail-guide', basis: { type: 'royalty_per_delivery', bps: 3333 } },
        { item: 'monthly-digest', basis: { type: 'fixed_per_period', amount: 1000 } },
        { item: 'other-item', basis: { type: 'placement_fee', amount: 5000, period } },
      ],
    });
    assert.equal(v2.status, 201);
    assert.equal(v2.body.version, 2);
    const s = await runCli(['paid', 'statements', 'issue', '--supplier', 'fernhill-press', '--period', period, '--url', net.main.url, '--token', TEST_TOKEN, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const st = JSON.parse(s.stdout).statement;
    assert.equal(st.contractVersion, 2);
    // 33.33% of 900 = 299.97 -> 300 (one rounding, halves away from zero).
    assert.deepEqual(
      st.lines.map((l: { item: string; basis: string; amount: number }) => [l.item, l.basis, l.amount]),
      [
        ['trail-guide', 'royalty_per_delivery', 300],
        ['monthly-digest', 'fixed_per_period', 1000],
        ['other-item', 'placement_fee', 5000],
      ],
    );
    assert.equal(st.total, 6300);
    const notices = net.main.notices.list({ kind: 'supplier_statement' });
    assert.ok(notices.some((x) => x.subject.startsWith(`Payment statement ${period}`)));
  });

  it('a supplier statement is recomputed offline from the bundles and the contract it names; a changed contract or statement does not match', async () => {
    const dir = net.dir;
    assert.equal((await shipLog(north().ctx, north().ctx.logStore)).error, undefined);
    writeFileSync(join(dir, 'main.bundle'), await fetchBundle(net.main.url, 'main'));
    writeFileSync(join(dir, 'north.bundle'), await fetchBundle(net.main.url, 'north'));
    const keys = ['--site-keys', `main=${join(dir, 'main-jwks.json')}`, '--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
    const args = ['paid', 'statements', 'recompute', '--bundle', join(dir, 'main.bundle'), '--partner-bundle', join(dir, 'north.bundle'), '--supplier', 'fernhill-press', '--period', period, ...keys];
    const online = await runCli([...args, '--url', net.main.url, '--token', TEST_TOKEN, '--json']);
    assert.equal(online.code, 0, online.stderr + online.stdout);
    assert.match(online.stderr, /matches the issued statement \(revision 3, total 6300 EUR\)/);
    const out = JSON.parse(online.stdout) as { total: number; notes: string[] };
    assert.equal(out.total, 6300);
    assert.ok(out.notes.some((n) => /north: its statement reconciles/.test(n)));
    // Offline: the statement and the contract as the console API gives them.
    const stored = (await api(net.main.url, 'GET', `/admin/api/paid/supplier-statements/fernhill-press/${period}`)).body;
    const contract = (await api(net.main.url, 'GET', '/admin/api/paid/supplier-contracts?supplier=fernhill-press')).body.contracts.find((c: { version: number }) => c.version === 2);
    writeFileSync(join(dir, 'statement.json'), JSON.stringify(stored));
    writeFileSync(join(dir, 'contract-v2.json'), JSON.stringify(contract));
    const offline = ['--offline', '--statement', join(dir, 'statement.json'), '--contract', join(dir, 'contract-v2.json')];
    assert.equal((await runCli([...args, ...offline])).code, 0);
    // A contract with another rate than the one the statement was issued by: the lines differ.
    const changed = structuredClone(contract);
    changed.contract.items[0].basis.bps = 3000;
    writeFileSync(join(dir, 'contract-v2.json'), JSON.stringify(changed));
    const bad = await runCli([...args, ...offline]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MISMATCH: 2 line\(s\) differ from the issued statement \(revision 3\); recomputed total 6270, issued 6300/);
    // A statement claiming more than the logs hold does not match either.
    writeFileSync(join(dir, 'contract-v2.json'), JSON.stringify(contract));
    writeFileSync(join(dir, 'statement.json'), JSON.stringify({ ...stored, statement: { ...stored.statement, total: 6400 } }));
    assert.equal((await runCli([...args, ...offline])).code, 1);
    // A statement resting on a checkpoint the bundle does not hold.
    writeFileSync(join(dir, 'statement.json'), JSON.stringify({ ...stored, mainCheckpoint: { size: stored.mainCheckpoint.size + 1000, root: stored.mainCheckpoint.root } }));
    const beyond = await runCli([...args, ...offline]);
    assert.equal(beyond.code, 1);
    assert.match(beyond.stderr, /does not contain/);
    // Without pinned keys nothing is recomputed.
    assert.equal((await runCli(['paid', 'statements', 'recompute', '--bundle', join(dir, 'main.bundle'), '--supplier', 'fernhill-press', '--period', period, ...offline])).code, 2);
  });

  it('the supplier sees its own statements in the portal; another supplier cannot see them', async () => {
    const own = (await api(net.main.url, 'GET', '/admin/api/paid/supplier-contracts?supplier=fernhill-press')).body.contracts[0].contract.party as string;
    const other = net.main.portal.invite({ email: 'other@example.org', kind: 'supplier', displayName: 'Other Press' }, 'test').party.id;
    const login = async (partyId: string, email: string) => {
      const row = net.main.ctx.db.prepare<[string], { text: string }>("SELECT text FROM notices WHERE party = ? AND kind = 'portal_invitation' ORDER BY created_at DESC LIMIT 1").get(partyId);
      const link = new URL(/(http:\/\/\S+\/portal\/invite\/[A-Za-z0-9_-]+)/.exec(row!.text)![1]!);
      const agent = supertest.agent(net.main.url);
      const form = await agent.get(link.pathname).expect(200);
      await agent
        .post(link.pathname)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), password: 'party password 123', confirm: 'party password 123' })
        .expect(303);
      const page = await agent.get('/portal/login').expect(200);
      await agent
        .post('/portal/login')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email, password: 'party password 123' })
        .expect(303);
      return agent;
    };
    const mine = await login(own, 'fernhill@example.org');
    const list = await mine.get('/portal/statements/').expect(200);
    assert.match(list.text, new RegExp(period));
    const one = await mine.get(`/portal/statements/fernhill-press/${period}`).expect(200);
    assert.match(one.text, /royalty_per_delivery/);
    const theirs = await login(other, 'other@example.org');
    const refused = await theirs.get(`/portal/statements/fernhill-press/${period}`);
    assert.equal(refused.status, 404);
    assert.doesNotMatch(refused.text, /royalty_per_delivery/);
    assert.doesNotMatch((await theirs.get('/portal/statements/').expect(200)).text, /fernhill-press/);
  });
});
