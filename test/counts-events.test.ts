import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import type { EntryFields } from '../common/logchain/entry.js';
import { LOGS_SHIP } from '../common/protocol/index.js';
import { pageItem, paidItem, statementAmount } from '../common/counts/index.js';
import { countsModule, type CountService } from '../main-site/counts/index.js';
import type { RunningMain } from '../main-site/server.js';
import type { RunningPartner } from '../partner-site/server.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { enrolPair, startSite, tempDir, TEST_TOKEN } from './helpers/network.js';
import { runCli } from './helpers/cli.js';
import { fetchBundle } from './helpers/log-bundle.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PARTY_PASSWORD = 'party password 123';
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** Notices go out fast; the main site's own log is counted only when a test says so (catchUp) or at start. */
const CONFIG = { noticeRetryBaseMs: 30, noticeRetryMaxMs: 200, noticePollMs: 20, noticeWebhookPrivateAddresses: true, countsPollMs: 600_000, logShipMs: 3600_000, logCheckpointMs: 3600_000 };

let seq = 0;
/** A page delivery as the page router logs it. */
function view(site: string, path: string, over: Partial<EntryFields> = {}): EntryFields {
  return {
    time: new Date().toISOString(),
    site,
    type: 'page',
    path,
    kind: 'tie-up',
    release: 1,
    status: 200,
    bytes: 1000,
    user: null,
    session: `s${seq++}`,
    client: '10.0.0.0/24',
    ua: 'browser',
    order: null,
    ...over,
  };
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('delivery counts: Fig. 4 rules fire exactly once per threshold, to the item supplier only, from verified logs', function () {
  this.timeout(180_000);
  let dir: string;
  let mb: Mailbox;
  let main: RunningMain;
  let north: RunningPartner;
  let south: RunningPartner;
  let counts: CountService;
  let hooks: Server;
  const hooked: { id: string; kind: string; data: { threshold: number; item: string } }[] = [];
  let supplierA = '';
  let supplierB = '';
  const api = () => supertest(main.url);
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  /** Appends deliveries to a site's log and gets them witnessed (partners ship over s2s) or checkpointed (main). */
  async function deliver(site: RunningMain | RunningPartner, entries: EntryFields[]): Promise<void> {
    for (const e of entries) site.ctx.log.append(e);
    site.ctx.log.flush();
    if (site === main) {
      main.ctx.log.checkpoint();
      counts.catchUp(main.ctx.config.siteId);
    } else {
      const r = await shipLog(site.ctx, site.ctx.logStore, 1000);
      assert.equal(r.error, undefined, r.error);
    }
    counts.dispatch();
  }

  async function activeParty(email: string, kind: 'supplier' | 'advertiser' | 'planner', name: string): Promise<string> {
    const { party } = main.portal.invite({ email, kind, displayName: name }, 'test');
    const mail = await mb.waitFor((m) => m.to.includes(email));
    const link = new URL(/(http:\/\/\S+\/portal\/invite\/[A-Za-z0-9_-]+)/.exec(mail.text)![1]!);
    const agent = supertest.agent(main.url);
    const form = await agent.get(link.pathname).expect(200);
    await agent
      .post(link.pathname)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password: PARTY_PASSWORD, confirm: PARTY_PASSWORD })
      .expect(303);
    return party.id;
  }
  async function portalAs(email: string) {
    const agent = supertest.agent(main.url);
    const page = await agent.get('/portal/login').expect(200);
    await agent
      .post('/portal/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email, password: PARTY_PASSWORD })
      .expect(303);
    return agent;
  }

  before(async () => {
    dir = tempDir();
    mb = await startMailbox();
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooked.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof hooked)[number]);
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1');
    await once(hooks, 'listening');
    const smtp = { smtpHost: '127.0.0.1', smtpPort: mb.port, ...CONFIG };
    main = await startSite('main', 'main', dir, smtp);
    north = await startSite('partner', 'north', dir, CONFIG);
    south = await startSite('partner', 'south', dir, CONFIG);
    await enrolPair(dir, main, north);
    await enrolPair(dir, main, south);
    counts = main.use(countsModule);
    supplierA = await activeParty('fernhill@example.test', 'supplier', 'Fernhill Press');
    supplierB = await activeParty('oakleaf@example.test', 'supplier', 'Oakleaf Books');
  });
  after(async () => {
    await Promise.all([main, north, south].map((s) => s?.close().catch(() => undefined)));
    await mb.close();
    hooks.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad items, rules and agreements with a clear error, changing nothing', async () => {
    const bad = async (method: 'put' | 'post', path: string, body: unknown, status: number, code: string) => {
      const r = await api()
        [method](`/admin/api${path}`)
        .set(auth)
        .send(body as object);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, code);
    };
    await bad('put', '/counts/items', { key: 'nokind', title: 'x', supplier: supplierA }, 400, 'invalid_item');
    await bad('put', '/counts/items', { key: 'page:/a', title: 'x', supplier: 'p-nothex' }, 400, 'invalid_item');
    await bad('put', '/counts/items', { key: 'page:/a', title: 'x', supplier: 'p-000000000999' }, 404, 'party_not_found');
    await bad('put', '/counts/items', { key: 'page:/a', title: 'x', supplier: supplierA, extra: 1 }, 400, 'invalid_item');
    await bad('put', '/counts/items', { key: 'page:/a', title: 'x', supplier: supplierA, pricePoints: -1 }, 400, 'invalid_item');
    await api().put('/admin/api/counts/items').set(auth).send({ key: 'page:/guides/tea', title: 'Tea guide', supplier: supplierA, pricePoints: 100 }).expect(200);
    const rule = { item: 'page:/guides/tea', mode: 'every', n: 100, action: 'status_report' };
    await bad('post', '/counts/rules', { ...rule, n: 0 }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, n: 1.5 }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, n: '100' }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, mode: 'sometimes' }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, action: 'launch' }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, webhooks: ['ftp://example.test/x'] }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, priority: 1 }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, item: 'page:/not-registered' }, 404, 'item_not_found');
    await bad('post', '/counts/rules', { ...rule, action: 'webhooks_only' }, 400, 'invalid_rule');
    await bad('post', '/counts/rules', { ...rule, mode: 'every', n: 1000, action: 'revenue_statement' }, 400, 'statement_needs_agreement');
    await bad('put', `/counts/agreements/${supplierA}`, { version: 1, rateBps: 10_001, pointValue: 1, currency: 'JPY' }, 400, 'invalid_agreement');
    await bad('put', `/counts/agreements/${supplierA}`, { version: 2, rateBps: 5000, pointValue: 1, currency: 'JPY' }, 400, 'invalid_agreement');
    await bad('put', `/counts/agreements/${supplierA}`, { version: 1, rateBps: 5000, pointValue: 1, currency: 'XXX' }, 400, 'invalid_agreement');
    assert.deepEqual(counts.rulesOf(), []);
    assert.equal(counts.agreement(supplierA), undefined);

    // The console form: the same schema, a readable page, and CSRF.
    const op = supertest.agent(main.url);
    const login = await op.get('/admin/login').expect(200);
    await op
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: 'correct horse battery' })
      .expect(303);
    const page = await op.get('/admin/counts').expect(200);
    const refused = await op
      .post('/admin/counts/rules')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), item: 'page:/guides/tea', mode: 'every', n: 'ten', action: 'status_report', webhooks: '' });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /role="alert">n: /);
    const noCsrf = await op.post('/admin/counts/rules').type('form').send({ item: 'page:/guides/tea', mode: 'every', n: '10', action: 'status_report' });
    assert.equal(noCsrf.status, 403);
    assert.deepEqual(counts.rulesOf(), []);
    // A good form sets the rule (removed again: the next test sets Fig. 4's).
    const ok = await op
      .post('/admin/counts/rules')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), item: 'page:/guides/tea', mode: 'only', n: '7', action: 'new_content', webhooks: '' });
    assert.equal(ok.status, 303);
    const [r] = counts.rulesOf();
    await api().delete(`/admin/api/counts/rules/${r!.id}`).set(auth).expect(200);
    await api().delete(`/admin/api/counts/rules/${r!.id}`).set(auth).expect(404);
  });

  it('Fig. 4 over 10,000 deliveries on three sites: 100 status reports, 10 statements, 1 new-content request, all three at 10,000, each once, to that supplier only', async () => {
    await api().put(`/admin/api/counts/agreements/${supplierA}`).set(auth).send({ version: 1, rateBps: 5000, pointValue: 2, currency: 'JPY' }).expect(200);
    const tea = 'page:/guides/tea';
    for (const r of [
      { item: tea, mode: 'every', n: 100, action: 'status_report' },
      { item: tea, mode: 'only', n: 10_000, action: 'new_content' },
      { item: tea, mode: 'every', n: 1000, action: 'revenue_statement' },
    ])
      await api().post('/admin/api/counts/rules').set(auth).send(r).expect(201);
    // Supplier B's item, with a rule whose notices go to B and to a webhook.
    await api().put('/admin/api/counts/items').set(auth).send({ key: 'product:kettle', title: 'Kettle', supplier: supplierB }).expect(200);
    const hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`;
    await api()
      .post('/admin/api/counts/rules')
      .set(auth)
      .send({ item: 'product:kettle', mode: 'every', n: 50, action: 'status_report', webhooks: [hookUrl] })
      .expect(201);

    // 10,000 tea deliveries in uneven batches across main, north and south, mixed with entries that deliver nothing
    // countable (original pages, assets, 404s, errors) and 120 kettle deliveries.
    const sites = [main, north, south] as const;
    let tea0 = 0;
    let batch = 0;
    while (tea0 < 10_000) {
      const site = sites[batch % 3]!;
      const id = site.ctx.config.siteId;
      const n = Math.min(10_000 - tea0, 137 + ((batch * 389) % 1700));
      const entries: EntryFields[] = [];
      for (let i = 0; i < n; i++) {
        entries.push(view(id, '/guides/tea'));
        if (i % 7 === 0) entries.push(view(id, '/guides/tea', { kind: 'original' }), view(id, '/guides/tea.css', { kind: 'asset' }), view(id, '/guides/tea', { status: 404, kind: 'none' }));
        if (i % 83 === 0 && tea0 + i < 6000) entries.push(view(id, '/shop/product/kettle'));
      }
      await deliver(site, entries);
      tea0 += n;
      batch++;
    }
    const teaEvents = counts.store.events({ item: tea, limit: 5000 }).reverse();
    const of = (a: string) => teaEvents.filter((e) => e.action === a);
    assert.deepEqual(
      of('status_report').map((e) => e.threshold),
      Array.from({ length: 100 }, (_, i) => (i + 1) * 100),
    );
    assert.deepEqual(
      of('revenue_statement').map((e) => e.threshold),
      Array.from({ length: 10 }, (_, i) => (i + 1) * 1000),
    );
    assert.deepEqual(
      of('new_content').map((e) => e.threshold),
      [10_000],
    );
    assert.equal(teaEvents.filter((e) => e.threshold === 10_000).length, 3, 'all three fire at 10,000');
    assert.ok(teaEvents.every((e) => e.supplier === supplierA));
    const overview = counts.overview().find((o) => o.key === tea)!;
    assert.equal(overview.count, 10_000);
    assert.equal(
      overview.bySite.reduce((s, x) => s + x.count, 0),
      10_000,
    );
    assert.deepEqual(overview.bySite.map((s) => s.site).sort(), ['main', 'north', 'south']);
    // Each status report's by-site breakdown adds up to its threshold, and names the delivery that reached it.
    for (const e of of('status_report')) {
      assert.equal(
        Object.values(e.bySite).reduce((s, x) => s + x, 0),
        e.threshold,
      );
      assert.ok(e.entryIndex < e.checkpointSize, 'the delivery that fired it lies under the checkpoint it rests on');
    }
    // Statements: the deliveries since the previous statement (1,000 each), not the cumulative count.
    for (const e of of('revenue_statement')) {
      assert.equal(e.detail.deliveries, 1000);
      assert.equal(e.detail.since, e.threshold - 1000);
      assert.equal(e.detail.amount, 1000 * 100 * 2 * 0.5);
      assert.equal(e.detail.amount, statementAmount(1000, 100, { version: 1, rateBps: 5000, pointValue: 2, currency: 'JPY' }));
      assert.equal(e.detail.agreementVersion, 1);
    }

    // Kettle: 120 deliveries (one every 83 tea deliveries up to 6,000 per batch), fired at 50 and 100, to B and the webhook.
    const kettle = counts.overview().find((o) => o.key === 'product:kettle')!;
    const kettleEvents = counts.store.events({ item: 'product:kettle' }).reverse();
    assert.deepEqual(
      kettleEvents.map((e) => e.threshold),
      Array.from({ length: Math.floor(kettle.count / 50) }, (_, i) => (i + 1) * 50),
    );
    assert.ok(kettleEvents.every((e) => e.supplier === supplierB));

    // The outbox: one notice per event, in the supplier's inbox, e-mailed over SMTP to that supplier only.
    const noticesA = main.notices.list({ recipient: supplierA, limit: 1000 }).filter((n) => n.kind.startsWith('count_'));
    assert.equal(noticesA.filter((n) => n.kind === 'count_status_report').length, 100);
    assert.equal(noticesA.filter((n) => n.kind === 'count_revenue_statement').length, 10);
    assert.equal(noticesA.filter((n) => n.kind === 'count_new_content_request').length, 1);
    const mailsA = await until('111 e-mails to Fernhill', () => {
      const m = mb.messages.filter((x) => x.to.includes('fernhill@example.test') && /deliveries$/.test(x.subject));
      return m.length >= 111 && m;
    });
    await sleep(300);
    assert.equal(mb.messages.filter((x) => x.to.includes('fernhill@example.test') && /deliveries$/.test(x.subject)).length, 111, 'each exactly once');
    assert.ok(mailsA.every((m) => m.subject.includes('Tea guide')));
    assert.ok(
      mailsA.some((m) => /1000 deliveries x 100 points x 2 JPY per point x 50 % = 100000 JPY/.test(m.text.replace(/\s+/g, ' '))),
      'statement text shows CC x CP x m x n',
    );
    const mailsB = mb.messages.filter((x) => x.to.includes('oakleaf@example.test') && /deliveries$/.test(x.subject));
    assert.equal(mailsB.length, kettleEvents.length);
    assert.ok(mailsB.every((m) => m.subject.includes('Kettle') && !m.text.includes('Tea guide')));
    await until('webhooks', () => hooked.length >= kettleEvents.length);
    assert.deepEqual(
      hooked.map((h) => h.data.threshold).sort((a, b) => a - b),
      kettleEvents.map((e) => e.threshold),
    );
  });

  it('a batch from 95 to 205 fires 100 and 200, in order; re-ingesting it fires and counts nothing', async () => {
    await api().put('/admin/api/counts/items').set(auth).send({ key: 'page:/cross', title: 'Crossing', supplier: supplierB }).expect(200);
    await api().post('/admin/api/counts/rules').set(auth).send({ item: 'page:/cross', mode: 'every', n: 100, action: 'status_report' }).expect(201);
    const first = Array.from({ length: 95 }, () => view('north', '/cross'));
    await deliver(north, first);
    assert.equal(counts.store.events({ item: 'page:/cross' }).length, 0);
    const from = north.ctx.logStore.shipping().acceptedSize;
    const second = Array.from({ length: 110 }, () => view('north', '/cross'));
    await deliver(north, second);
    const events = counts.store.events({ item: 'page:/cross' }).reverse();
    assert.deepEqual(
      events.map((e) => e.threshold),
      [100, 200],
    );
    assert.ok(events[0]!.id < events[1]!.id && events[0]!.entryIndex < events[1]!.entryIndex, 'in order');
    assert.equal(events[0]!.entryIndex, from + 4, 'the 5th delivery of the batch reached 100');
    assert.equal(events[1]!.entryIndex, from + 104);

    // Re-ingest the same witnessed range, and catch up again: nothing counts twice, nothing fires twice.
    const lines = north.ctx.logStore.lines(from, from + 110);
    const cp = main.witness.store.latestCheckpoint('north')!;
    const { decodeEntry } = await import('../common/logchain/entry.js');
    assert.deepEqual(
      counts.ingest(
        'north',
        from,
        lines.map((l) => decodeEntry(l)!),
        { size: cp.size, root: cp.root.toString('hex') },
      ),
      [],
    );
    assert.deepEqual(counts.catchUp(), []);
    assert.equal(counts.overview().find((o) => o.key === 'page:/cross')!.count, 205);
    // The partner ships again: nothing new to ship; a replayed shipment is refused by the witness.
    assert.equal((await shipLog(north.ctx, north.ctx.logStore)).shipped, 0);
    const replay = {
      from,
      entries: lines,
      checkpoint: north.ctx.logStore.checkpointAtMost(from + 110)!.note,
      proof: north.ctx.log.consistencyProof(from, from + 110).map((h) => h.toString('hex')),
      size: north.ctx.log.size,
    };
    await assert.rejects(north.ctx.client.send('main', LOGS_SHIP, replay));
    assert.equal(counts.overview().find((o) => o.key === 'page:/cross')!.count, 205);
    assert.equal(counts.store.events({ item: 'page:/cross' }).length, 2);
  });

  it('entries that fail verification never count: a tampered shipment, and own entries not yet under a signed checkpoint', async () => {
    const before = counts.overview().find((o) => o.key === 'page:/cross')!.count;
    const from = north.ctx.logStore.shipping().acceptedSize;
    for (let i = 0; i < 20; i++) north.ctx.log.append(view('north', '/cross'));
    north.ctx.log.flush();
    const cp = north.ctx.log.checkpoint()!;
    const lines = north.ctx.logStore.lines(from, cp.size);
    const proof = north.ctx.log.consistencyProof(from, cp.size).map((h) => h.toString('hex'));
    // One entry altered (another path): its leaf no longer chains or hashes to the signed root.
    const tampered = lines.map((l, i) => (i === 5 ? l.replace('"/cross"', '"/crass"') : l));
    await assert.rejects(north.ctx.client.send('main', LOGS_SHIP, { from, entries: tampered, checkpoint: cp.note, proof, size: cp.size }), /bad_entry|checkpoint_mismatch/);
    // A checkpoint signed with a key not pinned for north.
    const sigLine = cp.note.trimEnd().split('\n').pop()!;
    const sig = Buffer.from(sigLine.slice(sigLine.lastIndexOf(' ') + 1), 'base64');
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
    const forged = cp.note.replace(sigLine, sigLine.slice(0, sigLine.lastIndexOf(' ') + 1) + sig.toString('base64'));
    await assert.rejects(north.ctx.client.send('main', LOGS_SHIP, { from, entries: lines, checkpoint: forged, proof, size: cp.size }));
    assert.equal(counts.overview().find((o) => o.key === 'page:/cross')!.count, before);
    assert.equal(main.witness.store.latestCheckpoint('north')!.size, from);
    // The genuine shipment counts.
    await shipLog(north.ctx, north.ctx.logStore);
    assert.equal(counts.overview().find((o) => o.key === 'page:/cross')!.count, before + 20);

    // The main site's own entries count only once a signed checkpoint covers them.
    const own =
      counts
        .overview()
        .find((o) => o.key === 'page:/cross')!
        .bySite.find((s) => s.site === 'main')?.count ?? 0;
    for (let i = 0; i < 30; i++) main.ctx.log.append(view('main', '/cross'));
    main.ctx.log.flush();
    counts.catchUp();
    assert.equal(
      counts
        .overview()
        .find((o) => o.key === 'page:/cross')!
        .bySite.find((s) => s.site === 'main')?.count ?? 0,
      own,
    );
    main.ctx.log.checkpoint();
    counts.catchUp();
    assert.equal(
      counts
        .overview()
        .find((o) => o.key === 'page:/cross')!
        .bySite.find((s) => s.site === 'main')!.count,
      own + 30,
    );
  });

  it('a restart in the middle fires nothing twice: what was checkpointed but not counted is counted at start, once', async () => {
    await api().put('/admin/api/counts/items').set(auth).send({ key: 'page:/restart', title: 'Restart', supplier: supplierA }).expect(200);
    await api().post('/admin/api/counts/rules').set(auth).send({ item: 'page:/restart', mode: 'every', n: 10, action: 'status_report' }).expect(201);
    await deliver(
      main,
      Array.from({ length: 15 }, () => view('main', '/restart')),
    );
    assert.equal(counts.store.events({ item: 'page:/restart' }).length, 1);
    // Appended and checkpointed (at close), but the site stops before counting them.
    for (let i = 0; i < 17; i++) main.ctx.log.append(view('main', '/restart'));
    await main.close();
    const restarted = await startSite('main', 'main', dir, { smtpHost: '127.0.0.1', smtpPort: mb.port, ...CONFIG });
    main = restarted;
    counts = main.use(countsModule);
    const events = () =>
      counts.store
        .events({ item: 'page:/restart' })
        .map((e) => e.threshold)
        .sort((a, b) => a - b);
    assert.deepEqual(events(), [10, 20, 30], 'counted at start');
    assert.equal(counts.overview().find((o) => o.key === 'page:/restart')!.count, 32);
    // North's backlog is shipped to the restarted main site (a new port) and counted as it is accepted.
    for (let i = 0; i < 25; i++) north.ctx.log.append(view('north', '/restart'));
    north.ctx.peers.setBaseUrl('main', main.url);
    assert.equal((await shipLog(north.ctx, north.ctx.logStore)).error, undefined);
    assert.deepEqual(events(), [10, 20, 30, 40, 50]);
    // Restart again: nothing is counted or fired twice, and each threshold has exactly one notice.
    await main.close();
    main = await startSite('main', 'main', dir, { smtpHost: '127.0.0.1', smtpPort: mb.port, ...CONFIG });
    counts = main.use(countsModule);
    north.ctx.peers.setBaseUrl('main', main.url);
    assert.deepEqual(counts.catchUp(), []);
    assert.deepEqual(events(), [10, 20, 30, 40, 50]);
    assert.equal(counts.overview().find((o) => o.key === 'page:/restart')!.count, 57);
    const sent = main.notices.list({ recipient: supplierA, limit: 1000 }).filter((n) => n.subject.startsWith('Status report: Restart'));
    assert.equal(sent.length, 5);
    await until('restart e-mails', () => mb.messages.filter((m) => m.subject.startsWith('Status report: Restart')).length >= 5);
    await sleep(300);
    assert.equal(mb.messages.filter((m) => m.subject.startsWith('Status report: Restart')).length, 5);
    // A crash after the count committed but before its events' notices were stored: the next dispatch stores each once.
    main.ctx.db.prepare("UPDATE count_events SET notices_sent = 0 WHERE item = 'page:/restart'").run();
    assert.equal(counts.dispatch(), 5);
    assert.equal(main.notices.list({ recipient: supplierA, limit: 1000 }).filter((n) => n.subject.startsWith('Status report: Restart')).length, 5);
  });

  it("other capabilities' entry types are counted through countEntryType (as ads will be); a type is counted by one counter only", async () => {
    assert.throws(() => counts.countEntryType('page', () => null), /already counted/);
    counts.countEntryType('order', (e) => (e.order ? `order:${e.order.currency}` : null));
    await api().put('/admin/api/counts/items').set(auth).send({ key: 'order:EUR', title: 'Orders in EUR', supplier: supplierB }).expect(200);
    await api().post('/admin/api/counts/rules').set(auth).send({ item: 'order:EUR', mode: 'only', n: 3, action: 'status_report' }).expect(201);
    const order = (i: number): EntryFields => ({ ...view('north', '/checkout', { kind: 'original' }), type: 'order', order: { id: `o-${i}`, amount: 1000, currency: 'EUR' } });
    await deliver(north, [order(1), order(2), view('north', '/x', { kind: 'original' }), order(3), order(4)]);
    assert.equal(counts.overview().find((o) => o.key === 'order:EUR')!.count, 4);
    assert.deepEqual(
      counts.store.events({ item: 'order:EUR' }).map((e) => e.threshold),
      [3],
    );
  });

  it('tieup counts and tieup rules drive the same API', async () => {
    const env = { TIEUP_TOKEN: TEST_TOKEN };
    const add = await runCli(['rules', 'add', '--url', main.url, '--item', 'page:/restart', '--only', '100', '--action', 'new_content'], env);
    assert.equal(add.code, 0, add.stderr);
    const id = /^rule (\d+):/.exec(add.stdout)![1]!;
    const list = await runCli(['rules', '--url', main.url, '--item', 'page:/restart'], env);
    assert.match(list.stdout, new RegExp(`^${id}  page:/restart  only 100  new_content  \\(from count 57\\)$`, 'm'));
    const refused = await runCli(['rules', 'add', '--url', main.url, '--item', 'page:/restart', '--every', '0', '--action', 'new_content'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /n: /);
    const both = await runCli(['rules', 'add', '--url', main.url, '--item', 'page:/restart', '--every', '5', '--only', '5', '--action', 'new_content'], env);
    assert.equal(both.code, 2);
    const removed = await runCli(['rules', 'remove', id, '--url', main.url], env);
    assert.equal(removed.code, 0, removed.stderr);
    const c = await runCli(['counts', '--url', main.url, '--item', 'page:/restart'], env);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^page:\/restart {2}Restart \[p-[0-9a-f]{12}\] {2}57 deliveries/m);
    assert.match(c.stdout, /^ {2}main: 32 \(checkpoint \d+\)$/m);
    assert.match(c.stdout, /^ {2}north: 25 \(checkpoint \d+\)$/m);
    const ev = await runCli(['counts', 'events', '--url', main.url, '--item', 'page:/restart', '--json'], env);
    assert.equal((JSON.parse(ev.stdout) as { events: unknown[] }).events.length, 5);
    const item = await runCli(['counts', 'item', '--url', main.url, '--key', 'paid:tea-atlas', '--title', 'Tea atlas', '--supplier', supplierA, '--price-points', '100'], env);
    assert.equal(item.code, 0, item.stderr);
    assert.equal(counts.item('paid:tea-atlas')?.pricePoints, 100);

    const ag = await runCli(['counts', 'agreement', '--url', main.url, '--party', supplierB, '--rate-bps', '2500', '--point-value', '3', '--currency', 'EUR'], env);
    assert.equal(ag.code, 0, ag.stderr);
    assert.match(ag.stdout, /^version 1: rate 25 %, one point = 3 minor units of EUR$/m);
    const badAg = await runCli(['counts', 'agreement', '--url', main.url, '--party', supplierB, '--rate-bps', '2500', '--point-value', '3', '--currency', 'EURO'], env);
    assert.notEqual(badAg.code, 0);
    assert.equal(counts.agreement(supplierB)?.version, 1);

    // Offline: north's audit bundle, verified against pinned keys, recounts to the main site's counts of north.
    const file = join(dir, 'north-bundle.jsonl');
    writeFileSync(file, await fetchBundle(main.url, 'north'));
    for (const s of [main, north]) writeFileSync(join(dir, `${s.ctx.config.siteId}-jwks.json`), await (await fetch(`${s.url}/.well-known/jwks.json`)).text());
    const pinned = ['--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
    const same = await runCli(['counts', 'recompute', '--url', main.url, '--bundle', file, ...pinned], env);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /^north: \d+ item\(s\) recounted from entries \[0, \d+\) of the bundle; all equal/m);
    // A count that does not match its entries is found.
    main.ctx.db.prepare("UPDATE count_by_site SET count = count + 1 WHERE item = 'page:/guides/tea' AND site = 'north'").run();
    const differs = await runCli(['counts', 'recompute', '--url', main.url, '--bundle', file, ...pinned], env);
    assert.equal(differs.code, 1);
    assert.match(differs.stderr, /DIFFERS: page:\/guides\/tea: (\d+) in the bundle, \d+ at the main site/);
    main.ctx.db.prepare("UPDATE count_by_site SET count = count - 1 WHERE item = 'page:/guides/tea' AND site = 'north'").run();
  });

  it('the portal shows each supplier its own items and events only; other kinds of party do not get the section', async () => {
    const a = await portalAs('fernhill@example.test');
    const pageA = await a.get('/portal/counts/').expect(200);
    assert.match(pageA.text, /data-item="page:\/guides\/tea"/);
    assert.doesNotMatch(pageA.text, /product:kettle|page:\/cross/);
    assert.match(pageA.text, /data-action="revenue_statement" data-threshold="10000"/);
    const b = await portalAs('oakleaf@example.test');
    const pageB = await b.get('/portal/counts/').expect(200);
    assert.match(pageB.text, /data-item="product:kettle"/);
    assert.doesNotMatch(pageB.text, /guides\/tea|page:\/restart/);
    // Nothing in the URL chooses whose counts are shown.
    const tryOther = await b.get(`/portal/counts/?supplier=${supplierA}&item=page:/guides/tea`).expect(200);
    assert.doesNotMatch(tryOther.text, /guides\/tea/);
    // The operator's view of one item: counts by site with the checkpoint each rests on, and its events.
    const op = supertest.agent(main.url);
    const login = await op.get('/admin/login').expect(200);
    await op
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: 'correct horse battery' })
      .expect(303);
    const item = await op.get('/admin/counts/item?item=page:/guides/tea').expect(200);
    assert.match(item.text, /data-count>10000</);
    for (const site of ['main', 'north', 'south']) assert.match(item.text, new RegExp(`data-site="${site}"`));
    assert.equal((item.text.match(/data-action="status_report"/g) ?? []).length, 100);
    await op.get('/admin/counts/item?item=page:/nothing').expect(404);
    await activeParty('planner@example.test', 'planner', 'Plan Co');
    const p = await portalAs('planner@example.test');
    await p.get('/portal/counts/').expect(404);
  });
});

describe('counted items: the item each entry delivered', () => {
  const e = (over: Partial<EntryFields>): EntryFields => ({ ...view('north', '/'), ...over });
  it('tie-up pages and products answered 2xx or 304; paid items by their issued keys; nothing else', () => {
    assert.equal(pageItem(e({ path: '/guides/tea' })), 'page:/guides/tea');
    assert.equal(pageItem(e({ path: '/guides/tea', status: 304 })), 'page:/guides/tea');
    assert.equal(pageItem(e({ path: '/shop/product/kettle' })), 'product:kettle');
    for (const over of [
      { kind: 'original' as const },
      { kind: 'asset' as const },
      { status: 404 },
      { status: 500 },
      { path: '/shop' },
      { path: '/cart' },
      { path: '/checkout' },
      { path: '/orders/o-1' },
    ]) {
      assert.equal(pageItem(e({ path: '/guides/tea', ...over })), null, JSON.stringify(over));
    }
    assert.equal(paidItem(e({ type: 'key_issued', path: '/paid/k-abc123/trail-guide', kind: 'none' })), 'paid:trail-guide');
    assert.equal(paidItem(e({ type: 'key_issued', path: '/paid/trail-guide', kind: 'none' })), null);
  });
});
