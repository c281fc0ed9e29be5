import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { SYNC_BLOBS, SYNC_COMMIT, SYNC_OFFER } from '../common/protocol/index.js';
import { encodeBlobFrames } from '../common/release/blob-frames.js';
import { manifestRoot, sha256Hex, type Manifest } from '../common/release/manifest.js';

describe('activation is atomic under shopper load', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }]);
  });
  after(() => net.close());

  /** Layout, a partial and two pages all carry the release marker; any mix shows up as two markers. */
  function writeVersion(v: string) {
    writeFileSync(join(net.templatesDir, 'layout.ejs'), `<html><head><meta name="layout" content="${v}"></head><body><%- include('partials/footer') %><%- content %></body></html>`);
    writeFileSync(join(net.templatesDir, 'partials', 'footer.ejs'), `<footer data-v="${v}"></footer>`);
    net.write('pages/index.md', `# Home ${v}\n\nmarker-${v}\n`);
    net.write('pages/about.md', `# About ${v}\n\nmarker-${v}\n`);
  }

  it('never serves a page that mixes two releases while releases activate', async () => {
    writeVersion('v0');
    await api(net.main.url, 'POST', '/admin/api/releases', {});
    await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
    const agent = new Agent({ connections: 16 });
    let stop = false;
    let checked = 0;
    const mixed: string[] = [];
    const shoppers = Array.from({ length: 12 }, async (_, i) => {
      while (!stop) {
        const res = await request(`${net.partners.north!.url}${i % 2 ? '/about' : '/'}`, { dispatcher: agent });
        const html = await res.body.text();
        const versions = new Set([...html.matchAll(/(?:content="|data-v="|marker-)(v\d+)/g)].map((m) => m[1]));
        if (res.statusCode !== 200 || versions.size !== 1) mixed.push(`${res.statusCode} ${[...versions].join(',')}`);
        checked++;
      }
    });
    for (let v = 1; v <= 6; v++) {
      writeVersion(`v${v}`);
      await api(net.main.url, 'POST', '/admin/api/releases', {});
      const r = await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
      assert.equal(r.body.outcome, 'active');
    }
    stop = true;
    await Promise.all(shoppers);
    await agent.close();
    assert.deepEqual(mixed, []);
    assert.ok(checked > 100, `only ${checked} requests were made`);
    const last = await request(`${net.partners.north!.url}/about`);
    assert.match(await last.body.text(), /marker-v6/);
  });

  it('keeps answering shoppers while a 500-page release is checked at commit and activated; a page that does not render still refuses the release', async () => {
    // Something is served first (the release the shoppers read while the next one is checked).
    await api(net.main.url, 'POST', '/admin/api/releases', {});
    await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
    for (let i = 0; i < 500; i++) net.write(`pages/bulk/p${i}.md`, pageText(`Bulk ${i}`, `BULK-${i}`, 2000));
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: '500 pages' })).status, 201);
    const partner = net.partners.north!;
    // Observed, not changed: when the partner has the whole commit request, and when it has answered it.
    let committing = false;
    let commits = 0;
    const watch = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== SYNC_COMMIT.path) return;
      req.on('end', () => {
        committing = true;
        commits++;
      });
      res.on('finish', () => (committing = false));
    };
    partner.server.prependListener('request', watch);
    const agent = new Agent({ connections: 8 });
    let stop = false;
    let answeredDuringCommit = 0;
    let failed = 0;
    const shoppers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const res = await request(`${partner.url}/about`, { dispatcher: agent });
        await res.body.text();
        if (res.statusCode !== 200) failed++;
        if (committing) answeredDuringCommit++;
      }
    });
    const pushed = await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
    stop = true;
    await Promise.all(shoppers);
    partner.server.off('request', watch);
    await agent.close();
    assert.equal(pushed.body.outcome, 'active', pushed.body.detail);
    assert.equal(commits, 1);
    assert.equal(failed, 0);
    // Rendering 500 pages gives the event loop back between slices: shoppers' requests are answered meanwhile.
    assert.ok(answeredDuringCommit >= 10, `only ${answeredDuringCommit} page requests were answered while the release was checked and activated`);
    assert.equal((await request(`${partner.url}/bulk/p499`)).statusCode, 200);
    assert.equal(partner.sync.store.activeNumber(), net.main.sync.releases.latest()!.number);

    // A release with a page that does not render is still refused at commit, and nothing of it is served.
    const before = partner.sync.store.activeNumber();
    const bad = Buffer.from('<%= undefinedHelper() %>');
    const good = Buffer.from('# Fine\n');
    const manifest: Manifest = [
      { path: 'pages/broken.ejs', sha256: sha256Hex(bad), size: bad.length, kind: 'page' },
      { path: 'pages/fine.md', sha256: sha256Hex(good), size: good.length, kind: 'page' },
    ].sort((a, b) => a.path.localeCompare(b.path)) as Manifest;
    const client = net.main.ctx.client;
    await client.send('north', SYNC_OFFER, { release: 9001, root: manifestRoot(manifest), manifest });
    await client.send(
      'north',
      SYNC_BLOBS,
      encodeBlobFrames([
        { sha256: sha256Hex(bad), data: bad },
        { sha256: sha256Hex(good), data: good },
      ]),
      { release: 9001 },
    );
    await assert.rejects(client.send('north', SYNC_COMMIT, { release: 9001 }), (e: { details?: { peerCode?: string } }) => e.details?.peerCode === 'render_failed');
    assert.equal(partner.sync.store.activeNumber(), before);
    assert.equal((await request(`${partner.url}/fine`)).statusCode, 404);
  });
});
