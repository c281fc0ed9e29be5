import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

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
});
