import assert from 'node:assert/strict';
import supertest from 'supertest';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { TERMS_40_30 as TERMS } from './helpers/shares-terms.js';
import { pageFile, saleFile } from '../common/planned/index.js';
import { plannedReleaseFilter } from '../main-site/planned/carriage.js';
import type { RunningPartner } from '../partner-site/server.js';

/** What a partner holds as its active release: the manifest it stored. */
const held = (p: RunningPartner) => {
  const n = p.sync.store.activeNumber();
  assert.ok(n !== null, 'the partner serves a release');
  return p.sync.store.get(n)!.manifest;
};

describe("planned pages are carried by contract: a partner left out of the planner's carriedBy never receives them", function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let plannerId: string;
  let pageId: string;
  let otherPage: string;
  const push = async () => {
    for (const p of ['north', 'south']) {
      const r = await api(net.main.url, 'POST', `/admin/api/partners/${p}/push`, {});
      assert.equal(r.body.outcome, 'active', JSON.stringify(r.body));
    }
  };
  const setCarriedBy = async (carriedBy: unknown) => {
    const r = await api(net.main.url, 'PUT', `/admin/api/planned/planners/${plannerId}/carried-by`, { carriedBy });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const spec = (title: string) => ({
    layout: 'article',
    title,
    description: `${title}, described.`,
    sections: [{ id: 'stages', heading: 'Stages', intro: 'One stage each.' }],
    currency: 'EUR',
    contributionPrice: 250,
    pagePrice: null,
    formats: ['html'],
  });

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }, { id: 'south' }]);
    const planned = net.main.planned;
    // Two planners: one carried by north only, one by every partner (its pages must reach both whatever the first's contract says).
    planned.apply({ email: 'narrow@example.test', displayName: 'Narrow Planner', slug: 'narrow', pitch: 'North only.' });
    planned.apply({ email: 'wide@example.test', displayName: 'Wide Planner', slug: 'wide', pitch: 'Everywhere.' });
    const [a, b] = planned.applications('pending').sort((x, y) => x.slug.localeCompare(y.slug));
    plannerId = planned.approve(a!.id, { terms: TERMS, carriedBy: ['north'] }, 'test').planner.partyId;
    const wide = planned.approve(b!.id, { terms: TERMS, carriedBy: 'all' }, 'test').planner.partyId;
    pageId = planned.createPage(plannerId, spec('North Ridge Guide')).id;
    planned.openPage(plannerId, pageId);
    otherPage = planned.createPage(wide, spec('Everywhere Guide')).id;
    planned.openPage(wide, otherPage);
    await push();
  });
  after(async () => {
    await net?.close();
  });

  it('a page carried by north only is served by north and by the main site, and south neither serves nor holds it', async () => {
    await supertest(net.main.url).get(`/planned/${pageId}`).expect(200);
    const north = await supertest(net.partners.north!.url).get(`/planned/${pageId}`).expect(200);
    assert.match(north.text, /North Ridge Guide/);
    const south = await supertest(net.partners.south!.url).get(`/planned/${pageId}`);
    assert.equal(south.status, 404);
    assert.doesNotMatch(south.text, /North Ridge Guide/);
    // Not in what south stored: neither the page, its sale data nor the planner's home page, and not even the bytes.
    const manifest = held(net.partners.south!);
    for (const path of [pageFile(pageId), saleFile(pageId), 'pages/planners/narrow.html']) assert.ok(!manifest.some((e) => e.path === path), `${path} is not in south's release`);
    const mainEntry = net.main.sync.releases.latest()!.manifest.find((e) => e.path === pageFile(pageId))!;
    assert.equal(net.partners.south!.sync.blobs.has(mainEntry.sha256), false, "the page's bytes never reached south");
    assert.ok(held(net.partners.north!).some((e) => e.path === pageFile(pageId)));
    // The other planner's page, carried by all, reaches both.
    await supertest(net.partners.south!.url).get(`/planned/${otherPage}`).expect(200);
    await supertest(net.partners.north!.url).get(`/planned/${otherPage}`).expect(200);
    // Nor in south's listings: its planner directory and home pages know only what south carries.
    await supertest(net.partners.south!.url).get('/planners/narrow').expect(404);
    const southDir = await supertest(net.partners.south!.url).get('/planners').expect(200);
    assert.doesNotMatch(southDir.text, /Narrow Planner|\/planners\/narrow/);
    assert.match(southDir.text, /href="\/planners\/wide"/);
    const northDir = await supertest(net.partners.north!.url).get('/planners').expect(200);
    assert.match(northDir.text, /href="\/planners\/narrow"/);
    assert.match(northDir.text, /href="\/planners\/wide"/);
    const mainDir = await supertest(net.main.url).get('/planners').expect(200);
    assert.match(mainDir.text, /href="\/planners\/narrow"/);
    // South cannot sell it either: no sale data, no bill.
    assert.equal((await supertest(net.partners.south!.url).get(`/planned-buy/${pageId}/page`)).status !== 200, true);
  });

  it('a carriedBy change reaches each partner with its next release: the page moves from north to south', async () => {
    await setCarriedBy(['south']);
    await push();
    await supertest(net.partners.south!.url).get(`/planned/${pageId}`).expect(200);
    assert.equal((await supertest(net.partners.north!.url).get(`/planned/${pageId}`)).status, 404);
    assert.ok(!held(net.partners.north!).some((e) => e.path === pageFile(pageId) || e.path === saleFile(pageId)), "the page left north's release");
    assert.ok(held(net.partners.south!).some((e) => e.path === pageFile(pageId)));
    await supertest(net.partners.north!.url).get('/planners/narrow').expect(404);
    assert.doesNotMatch((await supertest(net.partners.north!.url).get('/planners').expect(200)).text, /\/planners\/narrow/);
    // Both partners' views check out against what they serve (no drift from the per-partner view).
    for (const p of ['north', 'south']) {
      const v = await api(net.main.url, 'POST', `/admin/api/partners/${p}/check-drift`, {});
      assert.equal(v.status, 200, JSON.stringify(v.body));
      assert.equal(v.body.drift, false, `${p}: ${String(v.body.driftDetail)}`);
    }
    // None: only the main site.
    await setCarriedBy('none');
    await push();
    for (const p of ['north', 'south']) assert.equal((await supertest(net.partners[p]!.url).get(`/planned/${pageId}`)).status, 404, p);
    await supertest(net.main.url).get(`/planned/${pageId}`).expect(200);
    await supertest(net.partners.south!.url).get(`/planned/${otherPage}`).expect(200);
  });

  it('the filter fails closed: a release without a readable carriage index gives partners none of the planned folders', () => {
    const e = (path: string, sha: string) => ({ path, sha256: sha.repeat(64), size: 1, kind: path.startsWith('pages/') ? ('page' as const) : ('asset' as const) });
    const manifest = [e('pages/index.md', 'a'), e(pageFile('pp-000000000001'), 'b'), e(saleFile('pp-000000000001'), 'c'), e('pages/planners/index.html', 'd'), e('assets/planned/carriage.json', 'f')];
    const none = plannedReleaseFilter('north', { manifest, read: () => Buffer.from('{"not":"an index"}') });
    assert.deepEqual(
      none.map((x) => x.path),
      ['pages/index.md'],
    );
  });
});
