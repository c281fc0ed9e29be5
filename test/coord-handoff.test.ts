import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, before, after } from 'mocha';
import supertest from 'supertest';
import { checkHandoff, HANDOFF_LIFETIME_S, signHandoff } from '../common/coord/net/index.js';
import { COORD_COMPONENTS } from '../common/protocol/index.js';
import { peerErrorCode } from '../common/s2s/client.js';
import { enrolPair, startSite, tempDir } from './helpers/network.js';
import { Shopper } from './helpers/shopper.js';
import type { RunningMain } from '../main-site/server.js';
import type { RunningPartner } from '../partner-site/server.js';

const PAGE = `---
title: Tarp shelter
job: howto
servings: 1
components:
  - 1 each tarp
  - 8 each tent pegs
  - 10 m guy line | optional
---
# Tarp shelter

Pitch a tarp between two trees.
`;

/**
 * "Get the components" on a partner's own page (item 2): the partner hands
 * the shopper to the main site with a signed link naming the page; the main
 * site asks that partner for the page's components (the job-method provider
 * learns nothing about the shopper) and shows the coordination page.
 */
describe('coord hand-over: from a partner page to the coordination page at the main site', function () {
  this.timeout(60_000);
  const dir = tempDir('tieup-coord-handoff-');
  let main: RunningMain;
  let north: RunningPartner;
  let south: RunningPartner;
  const shopper = () => new Shopper(main.url);

  before(async () => {
    for (const id of ['north', 'south']) {
      mkdirSync(join(dir, `orig-${id}`), { recursive: true });
      writeFileSync(join(dir, `orig-${id}`, 'tarp.md'), id === 'north' ? PAGE : PAGE.replace('8 each tent pegs', '10 each tent pegs').replace('  - 10 m guy line | optional\n', ''));
    }
    main = await startSite('main', 'main', dir);
    north = await startSite('partner', 'north', dir, { originalDir: join(dir, 'orig-north') });
    south = await startSite('partner', 'south', dir, { originalDir: join(dir, 'orig-south') });
    await enrolPair(dir, main, north);
    await enrolPair(dir, main, south);
  });
  after(async () => {
    await Promise.all([main, north, south].map((s) => s?.close()));
  });

  it("the partner's page lists its components with the link; the link hands over, signed, and the main site shows the partner's list", async () => {
    const page = await supertest(north.url).get('/tarp').expect(200);
    assert.match(page.text, /href="\/coord\/get\?page=%2Ftarp"/);
    const go = await supertest(north.url).get('/coord/get?page=/tarp').expect(303);
    const to = new URL(go.headers.location!);
    assert.equal(to.origin, main.url);
    assert.equal(to.pathname, '/coord/start');
    const token = to.searchParams.get('handoff')!;
    assert.ok(token);
    // The link names the page and nothing else.
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'exp', 'iat', 'iss', 'page']);

    const s = shopper();
    // Not logged in: the main site asks for the central account first, then comes back.
    const first = await s.agent.get(to.pathname + to.search).expect(303);
    assert.match(first.headers.location!, /^\/account\/login\?next=/);
    await s.register('handoff@example.org', 'a long enough passphrase');
    const picking = await s.agent.get(to.pathname + to.search).expect(200);
    assert.match(picking.text, /Get the components: Tarp shelter/);
    assert.match(picking.text, /data-component="tent pegs"/);
    assert.match(picking.text, /name="c1_qty" value="8"/);
    // An optional component starts unticked.
    assert.match(picking.text, /<input type="checkbox" name="c2_pick" id="c2_pick" {2}aria-label="Get guy line">/);
    // Scaled by servings.
    const scaled = await s.agent.get(`${to.pathname}${to.search}&servings=2`).expect(200);
    assert.match(scaled.text, /name="c1_qty" value="16"/);
  });

  it('a forged or altered link is refused with a readable page', async () => {
    const go = await supertest(north.url).get('/coord/get?page=/tarp').expect(303);
    const token = new URL(go.headers.location!).searchParams.get('handoff')!;
    const [h, p, sig] = token.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), page: '/secret' })).toString('base64url');
    const s = shopper();
    await s.register('forger@example.org', 'a long enough passphrase');
    const r = await s.agent.get(`/coord/start?handoff=${encodeURIComponent(`${h}.${other}.${sig}`)}`).expect(400);
    assert.match(r.text, /not valid/);
    await s.agent.get('/coord/start?handoff=garbage').expect(400);
  });

  it('the link in the page never goes stale: a hand-over past its lifetime is signed afresh by its partner, once; a tampered one is refused', async () => {
    // The page holds no signature: its link is the partner's /coord/get, which signs when it is followed.
    const page = await supertest(north.url).get('/tarp').expect(200);
    const href = /<a class="coord-get" href="([^"]+)"/.exec(page.text)![1]!.replace(/&amp;/g, '&');
    assert.equal(href, '/coord/get?page=%2Ftarp');
    const s = shopper();
    await s.register('late-reader@example.org', 'a long enough passphrase');
    // A hand-over signed ten minutes ago (twice the lifetime): the shopper logged in first, or scaled the servings
    // long after opening the picking page. It is authentic, so it goes back to north to be signed again.
    const old = signHandoff(north.ctx, '/tarp', { now: Date.now() - 2 * HANDOFF_LIFETIME_S * 1000 });
    const bounced = await s.agent.get(`/coord/start?handoff=${encodeURIComponent(old)}&servings=2`).expect(303);
    const back = new URL(bounced.headers.location!);
    assert.equal(back.origin, north.url);
    assert.equal(`${back.pathname}?${back.searchParams.toString()}`, '/coord/get?page=%2Ftarp&servings=2&again=1');
    const fresh = await supertest(north.url)
      .get(back.pathname + back.search)
      .expect(303);
    const to = new URL(fresh.headers.location!);
    assert.equal(to.origin, main.url);
    assert.notEqual(to.searchParams.get('handoff'), old);
    assert.equal(to.searchParams.get('servings'), '2');
    const picking = await s.agent.get(to.pathname + to.search).expect(200);
    assert.match(picking.text, /Get the components: Tarp shelter/);
    assert.match(picking.text, /name="c1_qty" value="16"/, 'scaled as asked');

    // Sent back once only: a hand-over that comes back already expired (the clocks disagree) is refused in words.
    const stale = await s.agent.get(`/coord/start?handoff=${encodeURIComponent(old)}&again=1`).expect(400);
    assert.match(stale.text, /This link has expired/);
    // A tampered hand-over, fresh or expired, is refused and never sent anywhere.
    for (const token of [signHandoff(north.ctx, '/tarp'), old]) {
      const [h, p, sig] = token.split('.') as [string, string, string];
      const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), page: '/secret' })).toString('base64url');
      const r = await s.agent.get(`/coord/start?handoff=${encodeURIComponent(`${h}.${other}.${sig}`)}`).expect(400);
      assert.match(r.text, /not valid/);
    }
    // One signed by north for another audience is not north's hand-over to this site either.
    assert.equal(await checkHandoff(south.ctx, signHandoff(north.ctx, '/tarp')), null);
  });

  it('a job-method provider answers by page only, and a page without components is not found', async () => {
    const r = await main.ctx.client.send('north', COORD_COMPONENTS, { page: '/tarp' });
    assert.equal(r.body.title, 'Tarp shelter');
    try {
      await main.ctx.client.send('north', COORD_COMPONENTS, { page: '/nothing-here' });
      assert.fail('answered for a missing page');
    } catch (err) {
      assert.equal(peerErrorCode(err, COORD_COMPONENTS), 'page_not_found');
    }
  });

  it('claims 8, 24: the same job asked of every provider, their lists reconciled (largest quantity, a component not every provider lists becomes optional)', async () => {
    const s = shopper();
    await s.register('providers@example.org', 'a long enough passphrase');
    const r = await s.agent.get('/coord/start?page=/tarp&providers=all').expect(200);
    assert.match(r.text, /name="c1_qty" value="10"/, 'the larger quantity of tent pegs (south asks for 10)');
    assert.match(r.text, /guy line<\/label> <small>\(optional\)/);
  });
});
