import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, before, after } from 'mocha';
import supertest from 'supertest';
import { classifyPage } from '../common/fees/usage-from-bundle.js';
import { decodeEntry, type LogEntry } from '../common/logchain/entry.js';
import type { RunningSite } from '../common/site/runner.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import type { RunningMain } from '../main-site/server.js';
import type { RunningPartner } from '../partner-site/server.js';
import { profile } from './helpers/coord.js';
import { enrolPair, startSite, tempDir } from './helpers/network.js';
import { csrfOf, Shopper } from './helpers/shopper.js';

const PAGE = `---
title: Tarp shelter
job: howto
servings: 1
components:
  - 1 each tarp
  - 8 each tent pegs
---
# Tarp shelter

Pitch a tarp between two trees.
`;
const PASSWORD = 'a long enough passphrase';

/**
 * Issue 17: the coordination pages (the "Get the components" link on a job
 * page, the picking, plan and order pages at the main site) are access-log
 * entries like every other page served, kind shop, with the shopper; a
 * partner's ship to the main site like its other entries.
 */
describe('coord access log: every coordination page served is an access-log entry, shipped like the others', function () {
  this.timeout(90_000);
  const dir = tempDir('tieup-coord-log-');
  let main: RunningMain;
  let north: RunningPartner;

  /** The entries a site wrote from `from` on, as decoded from its stored lines. */
  const since = (site: RunningSite, from: number): LogEntry[] => {
    site.ctx.log.flush();
    return site.ctx.logStore.lines(from, site.ctx.log.size).map((l) => decodeEntry(l)!);
  };
  const sizeOf = (site: RunningSite) => {
    site.ctx.log.flush();
    return site.ctx.log.size;
  };
  const userIdOf = (email: string) => main.ctx.db.prepare<[string], { id: string }>('SELECT id FROM users WHERE email = ?').get(email)!.id;
  const seen = (e: LogEntry) => [e.type, e.path, e.kind, e.status, e.user];

  before(async () => {
    mkdirSync(join(dir, 'orig-north'), { recursive: true });
    writeFileSync(join(dir, 'orig-north', 'tarp.md'), PAGE);
    main = await startSite('main', 'main', dir, { coordSweepMs: 100 });
    north = await startSite('partner', 'north', dir, { originalDir: join(dir, 'orig-north') });
    await enrolPair(dir, main, north);
    main.coord.central.setProfile(
      profile('Central', [
        { id: 'tarp', product: 'Tarp 3x3', components: ['tarp'], packSize: { quantity: 1, unit: 'each' }, packLabel: 'tarp', price: 2500, stock: 5 },
        { id: 'pegs', product: 'Tent pegs', components: ['tent pegs'], packSize: { quantity: 10, unit: 'each' }, packLabel: 'bag', price: 400, stock: 5 },
      ]),
    );
  });
  after(async () => {
    await Promise.all([main, north].map((s) => s?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the job page and its "Get the components" link on the partner, the picking and plan pages at the main site: path, kind and shopper', async () => {
    const northFrom = sizeOf(north);
    const mainFrom = sizeOf(main);

    // At the partner: the job page (content, as before) and the link, answered or refused.
    const page = await supertest(north.url).get('/tarp').expect(200);
    assert.match(page.text, /href="\/coord\/get\?page=%2Ftarp"/);
    const go = await supertest(north.url).get('/coord/get?page=/tarp').expect(303);
    await supertest(north.url).get('/coord/get?page=/no-such-page').expect(404);
    const atNorth = since(north, northFrom);
    assert.deepEqual(atNorth.map(seen), [
      ['page', '/tarp', 'original', 200, null],
      ['page', '/coord/get', 'shop', 303, null],
      ['page', '/coord/get', 'shop', 404, null],
    ]);
    assert.equal(atNorth[1]!.bytes, Number(go.headers['content-length']));

    // At the main site: the hand-over lands on the picking page, which asks for the central account first.
    const to = new URL(go.headers.location!);
    const s = new Shopper(main.url);
    await s.agent.get(to.pathname + to.search).expect(303);
    await s.register('logged@example.org', PASSWORD);
    const user = userIdOf('logged@example.org');
    const picking = await s.agent.get(to.pathname + to.search).expect(200);
    assert.match(picking.text, /Get the components: Tarp shelter/);
    const pick = {
      _csrf: csrfOf(picking.text),
      c0_name: 'tarp',
      c0_qty: '1',
      c0_unit: 'each',
      c0_pick: 'on',
      c1_name: 'tent pegs',
      c1_qty: '8',
      c1_unit: 'each',
      c1_pick: 'on',
      priority1: 'cheapest',
    };
    const plan = await s.agent.post('/coord/quote').type('form').send(pick).expect(200);
    assert.match(plan.text, /data-component="tent pegs"/);
    // Refusals are answers too: an expired form, and a request that does not read.
    await s.agent
      .post('/coord/quote')
      .type('form')
      .send({ ...pick, _csrf: 'forged' })
      .expect(403);
    await s.agent
      .post('/coord/quote')
      .type('form')
      .send({ ...pick, c0_pick: '', c1_pick: '' })
      .expect(400);
    await s.agent.get('/coord/orders').expect(200);

    const atMain = since(main, mainFrom).filter((e) => e.path.startsWith('/coord'));
    assert.deepEqual(atMain.map(seen), [
      ['page', '/coord/start', 'shop', 303, null],
      ['page', '/coord/start', 'shop', 200, user],
      ['page', '/coord/quote', 'shop', 200, user],
      ['page', '/coord/quote', 'shop', 403, user],
      ['page', '/coord/quote', 'shop', 400, user],
      ['page', '/coord/orders', 'shop', 200, user],
    ]);
    // The path is the page's, never the query (the hand-over token is not written down).
    assert.ok(!since(main, mainFrom).some((e) => e.path.includes('handoff')));
    assert.equal(atMain[1]!.bytes, Buffer.byteLength(picking.text));
    assert.equal(atMain[2]!.bytes, Buffer.byteLength(plan.text));
    const session = atMain[1]!.session;
    assert.match(session ?? '', /^[0-9a-f]{16}$/);
    assert.ok(
      atMain.slice(2).every((e) => e.session === session),
      'one session for the shopper`s pages',
    );
    // Fees count them as shop actions (or errors), never as page views of content.
    assert.deepEqual(
      [...atNorth.slice(1), ...atMain].map((e) => classifyPage(e)),
      ['shop', 'error', 'shop', 'shop', 'shop', 'error', 'error', 'shop'],
    );

    // Another shopper's group is answered like a missing one, and logged with who asked.
    const other = new Shopper(main.url);
    await other.register('other@example.org', PASSWORD);
    const otherFrom = sizeOf(main);
    await other.agent.get('/coord/groups/gnot-hers').expect(404);
    assert.deepEqual(since(main, otherFrom).map(seen), [['page', '/coord/groups/gnot-hers', 'shop', 404, userIdOf('other@example.org')]]);
  });

  it("the partner's coordination entries ship to the main site with its other entries, byte for byte; the main site's are under its own signed checkpoint", async () => {
    const r = await shipLog(north.ctx, north.ctx.logStore);
    assert.equal(r.error, undefined, r.error);
    const size = sizeOf(north);
    assert.equal(north.ctx.logStore.shipping().acceptedSize, size, 'the main site accepted all of north`s log');
    const witnessed = main.witness.store.entries('north', 0, size);
    const mine = north.ctx.logStore.lines(0, size);
    assert.deepEqual(
      witnessed.map((w) => w.line),
      mine,
    );
    const coord = witnessed.map((w) => decodeEntry(w.line)!).filter((e) => e.path === '/coord/get' || e.path === '/tarp');
    assert.deepEqual(
      coord.map((e) => [e.path, e.kind, e.status]),
      [
        ['/tarp', 'original', 200],
        ['/coord/get', 'shop', 303],
        ['/coord/get', 'shop', 404],
      ],
    );

    main.ctx.log.flush();
    const cp = main.ctx.log.checkpoint();
    assert.ok(cp);
    const own = main.ctx.logStore.lines(0, cp.size).map((l) => decodeEntry(l)!);
    assert.ok(own.filter((e) => e.path.startsWith('/coord/')).length >= 7, 'the coordination pages are under the checkpoint');
  });
});
