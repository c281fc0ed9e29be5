import assert from 'node:assert/strict';
import { filterForPartnership } from '../common/release/manifest.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBlobFrames } from '../common/release/blob-frames.js';
import { manifestRoot, sha256Hex } from '../common/release/manifest.js';
import { api, getPage, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { startTamperProxy } from './helpers/tamper-proxy.js';

describe('publish and push: delta transfer, idempotence, interrupted pushes, bad releases', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }, { id: 'tpl', contract: { sync: { partnershipType: 'template' } } }, { id: 'lnk', contract: { sync: { partnershipType: 'link' } } }]);
  });
  after(() => net.close());
  const main = () => net.main.url;
  const push = (id: string, body: Record<string, unknown> = {}) => api(main(), 'POST', `/admin/api/partners/${id}/push`, body);

  it('publishes the content folder as release 1 and serves its pages on the main site', async () => {
    const r = await api(main(), 'POST', '/admin/api/releases', { note: 'first' });
    assert.equal(r.status, 201);
    assert.equal(r.body.release.number, 1);
    const again = await api(main(), 'POST', '/admin/api/releases', { note: 'nothing new' });
    assert.equal(again.status, 200);
    assert.equal(again.body.created, false);
    const about = await getPage(main(), '/about');
    assert.equal(about.status, 200);
    assert.match(about.text, /<h1>About us<\/h1>/);
  });

  it('first push sends every blob; a one-page change then sends exactly one blob', async () => {
    const first = await push('north');
    assert.equal(first.body.outcome, 'active');
    // Every blob a content partner receives: paid items' pages stay at the main site.
    const total = filterForPartnership(net.main.sync.releases.latest()!.manifest, 'content').length;
    assert.equal(first.body.blobsSent, total);
    assert.match((await getPage(net.partners.north!.url, '/about')).text, /<h1>About us<\/h1>/);

    net.write('pages/about.md', pageText('About us', 'CHANGED-ONCE'));
    await api(main(), 'POST', '/admin/api/releases', { note: 'one page' });
    const second = await push('north');
    assert.equal(second.body.outcome, 'active');
    assert.equal(second.body.blobsSent, 1);
    assert.match((await getPage(net.partners.north!.url, '/about')).text, /CHANGED-ONCE/);
  });

  it('a repeated push changes nothing and sends no blob; a forced re-offer of a held release costs no blobs', async () => {
    const again = await push('north');
    assert.equal(again.body.outcome, 'noop');
    assert.equal(again.body.blobsSent, 0);
    // Forget what the main site knows, as after a lost answer: the partner still answers "held".
    net.main.sync.sync.update('north', { heldRelease: null });
    const resumed = await push('north');
    assert.equal(resumed.body.outcome, 'active');
    assert.equal(resumed.body.blobsSent, 0);
  });

  it('a template partner receives only the framework; a link partner receives nothing', async () => {
    assert.equal((await push('tpl')).body.outcome, 'active');
    const held = net.partners.tpl!.sync.store.get(net.main.sync.releases.latest()!.number)!;
    assert.ok(held.manifest.length > 0);
    assert.ok(held.manifest.every((e) => e.kind === 'template'));
    assert.equal((await getPage(net.partners.tpl!.url, '/about')).status, 404);
    const lnk = await push('lnk');
    assert.equal(lnk.body.outcome, 'noop');
    assert.match(lnk.body.detail, /link partnership/);
  });

  it('removing a page from the content folder removes it from the partner that activates the release', async () => {
    net.write('pages/seasonal.md', pageText('Seasonal', 'SEASONAL'));
    await api(main(), 'POST', '/admin/api/releases', { note: 'add seasonal' });
    await push('north');
    assert.equal((await getPage(net.partners.north!.url, '/seasonal')).status, 200);
    net.remove('pages/seasonal.md');
    await api(main(), 'POST', '/admin/api/releases', { note: 'remove seasonal' });
    await push('north');
    const gone = await getPage(net.partners.north!.url, '/seasonal');
    assert.equal(gone.status, 404);
    assert.match(gone.text, /Page not found/);
    assert.match(gone.text, /class="masthead"/, "404 in the site's own look");
  });

  it('unpublishing with front matter (published: false) removes the page too', async () => {
    net.write('pages/draft.md', pageText('Draft', 'DRAFT'));
    await api(main(), 'POST', '/admin/api/releases', {});
    await push('north');
    assert.equal((await getPage(net.partners.north!.url, '/draft')).status, 200);
    net.write('pages/draft.md', '---\ntitle: Draft\npublished: false\n---\n# Draft\n');
    const r = await api(main(), 'POST', '/admin/api/releases', {});
    assert.deepEqual(r.body.unpublished, ['pages/draft.md']);
    await push('north');
    assert.equal((await getPage(net.partners.north!.url, '/draft')).status, 404);
  });

  it("the partner's overrides survive every update", async () => {
    await api(net.partners.north!.url, 'PUT', '/manage/api/overrides', { siteName: 'North Outfitters', colours: { primary: '#1f7a4d' } });
    net.write('pages/about.md', pageText('About us', 'AFTER-OVERRIDE'));
    await api(main(), 'POST', '/admin/api/releases', {});
    await push('north');
    const page = await getPage(net.partners.north!.url, '/about');
    assert.match(page.text, /AFTER-OVERRIDE/);
    assert.match(page.text, /--brand: #1f7a4d/);
    assert.match(page.text, /North Outfitters/);
    const bad = await api(net.partners.north!.url, 'PUT', '/manage/api/overrides', { colours: { primary: 'red;}</style><script>' } });
    assert.equal(bad.status, 400);
  });

  it('a push cut off midway (partner killed) leaves the old release served; the next push completes', async () => {
    const before = (await getPage(net.partners.north!.url, '/about')).text;
    for (let i = 0; i < 6; i++) net.write(`pages/bulk-${i}.md`, pageText(`Bulk ${i}`, `BULK-${i}`));
    net.write('pages/about.md', pageText('About us', 'AFTER-CRASH'));
    await api(main(), 'POST', '/admin/api/releases', { note: 'bulk' });
    const northUrl = net.partners.north!.url;
    let killed = false;
    const proxy = await startTamperProxy(
      northUrl,
      (u) => u,
      async (url) => {
        if (!killed && url.startsWith('/s2s/sync/blobs/')) {
          killed = true;
          await net.partners.north!.close();
          return 'drop';
        }
      },
    );
    net.main.ctx.peers.setBaseUrl('north', proxy.url);
    const cut = await push('north');
    assert.equal(cut.body.outcome, 'failed');
    await proxy.close();
    const north = await net.restartPartner('north');
    net.main.ctx.peers.setBaseUrl('north', north.url);
    assert.equal((await getPage(north.url, '/about')).text, before, 'old release still served after restart');
    const done = await push('north');
    assert.equal(done.body.outcome, 'active');
    assert.match((await getPage(north.url, '/about')).text, /AFTER-CRASH/);
    const deliveries = await api(main(), 'GET', '/admin/api/deliveries?partner=north&limit=5');
    assert.ok(deliveries.body.deliveries.some((d: { outcome: string }) => d.outcome === 'failed'));
  });

  describe('the partner refuses bad releases and keeps nothing of them', () => {
    const offer = (body: unknown) => net.main.ctx.client.call('north', 'POST', '/s2s/sync/offer', body);
    const entry = (path: string, size = 3, sha = sha256Hex('abc')) => ({ path, sha256: sha, size, kind: path.startsWith('pages/') ? 'page' : 'asset' });
    const refuse = async (manifest: unknown[], code: string) => {
      const m = manifest as Parameters<typeof manifestRoot>[0];
      await assert.rejects(offer({ release: 900, root: manifestRoot(m), manifest }), (err: { details?: { peerCode?: string } }) => {
        assert.equal(err.details?.peerCode, code);
        return true;
      });
      assert.equal(net.partners.north!.sync.store.get(900), undefined);
    };

    it('path traversal, absolute paths, odd names', async () => {
      await refuse([entry('pages/../../etc/passwd')], 'bad_path');
      await refuse([entry('/etc/passwd')], 'bad_path');
      await refuse([entry('pages/.hidden.md')], 'bad_path');
      await refuse([entry('other/x.md')], 'bad_path');
      await refuse([{ ...entry('pages/x.md'), kind: 'template' }], 'bad_path');
    });

    it('oversize files and too many entries', async () => {
      await refuse([entry('pages/huge.md', 6 * 1024 * 1024)], 'too_large');
      await refuse(
        Array.from({ length: 20001 }, (_, i) => entry(`assets/f${i}.txt`)),
        'too_many_entries',
      );
    });

    it('a blob whose data does not match its hash or size', async () => {
      const good = Buffer.from('hello world');
      const manifest = [{ path: 'pages/evil.md', sha256: sha256Hex(good), size: good.length, kind: 'page' as const }];
      const r = await offer({ release: 901, root: manifestRoot(manifest), manifest });
      assert.deepEqual((r.body as { need: string[] }).need, [sha256Hex(good)]);
      const call = (frames: Buffer) => net.main.ctx.client.call('north', 'POST', '/s2s/sync/blobs/901', frames);
      await assert.rejects(
        call(encodeBlobFrames([{ sha256: sha256Hex(good), data: Buffer.from('hello WORLD') }])),
        (e: { details?: { peerCode?: string } }) => e.details?.peerCode === 'hash_mismatch',
      );
      await assert.rejects(call(encodeBlobFrames([{ sha256: sha256Hex(good), data: Buffer.from('hello') }])), (e: { details?: { peerCode?: string } }) => e.details?.peerCode === 'size_mismatch');
      await assert.rejects(call(encodeBlobFrames([{ sha256: sha256Hex('x'), data: Buffer.from('x') }])), (e: { details?: { peerCode?: string } }) => e.details?.peerCode === 'unexpected_blob');
      await assert.rejects(net.main.ctx.client.call('north', 'POST', '/s2s/sync/commit', { release: 901 }), (e: { details?: { peerCode?: string } }) => e.details?.peerCode === 'blobs_missing');
      assert.equal(net.partners.north!.sync.store.activeNumber(), net.main.sync.releases.latest()!.number);
    });

    it('a manifest whose root does not match', async () => {
      const manifest = [entry('pages/x.md')];
      await assert.rejects(offer({ release: 902, root: 'f'.repeat(64), manifest }), (e: { details?: { peerCode?: string } }) => e.details?.peerCode === 'root_mismatch');
    });
  });

  it("a page path a partner uses for an original page holds back only that partner's push; content that does not render is refused", async () => {
    writeFileSync(join(net.dir, 'original', 'north', 'contact.md'), '# Contact north\n');
    net.partners.north!.sync.content.refresh();
    await net.main.ctx.client.call('north', 'POST', '/s2s/sync/status', {}).then((r) => net.main.sync.sync.update('north', { originalPaths: (r.body as { originalPaths: string[] }).originalPaths }));
    net.write('pages/contact.md', '# Contact\n');
    const clash = await api(main(), 'POST', '/admin/api/releases', {});
    assert.equal(clash.status, 201);
    assert.deepEqual(clash.body.collisions, [{ partner: 'north', paths: ['/contact'] }]);
    const held = await push('north');
    assert.equal(held.body.outcome, 'failed');
    assert.match(held.body.detail, /^path_collision: .*\/contact/);
    net.remove('pages/contact.md');
    assert.equal((await api(main(), 'POST', '/admin/api/releases', {})).status, 201);
    assert.equal((await push('north')).body.outcome, 'active');
    writeFileSync(join(net.templatesDir, 'layout.ejs'), '<%= process.pid %>');
    const broken = await api(main(), 'POST', '/admin/api/releases', {});
    assert.equal(broken.status, 422);
    assert.equal(broken.body.error.code, 'render_failed');
  });
});
