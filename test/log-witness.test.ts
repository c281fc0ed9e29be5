import assert from 'node:assert/strict';
import { join } from 'node:path';
import { encodeEntry, entryLeaf, ZERO_HASH } from '../common/logchain/entry.js';
import { MerkleTree } from '../common/logchain/merkle.js';
import { formatCheckpoint, logOrigin, rawPublicKey, signNote } from '../common/logchain/note.js';
import { loadKeyring } from '../common/keys/keystore.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { api } from './helpers/sync-network.js';
import supertest from 'supertest';
import { consoleLogin } from './helpers/console-login.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { appendViews, fakeView } from './helpers/log-bundle.js';

describe('log shipping and witnessing at the main site', function () {
  this.timeout(60000);
  let net: TestNetwork;
  let northSigner: { name: string; key: import('node:crypto').KeyObject; publicRaw: Buffer };
  before(async () => {
    net = await startNetwork(['north'], { logShipBatch: 300, logCheckpointEntries: 256 });
    const kr = await loadKeyring(join(net.dir, 'keys'), 'north');
    northSigner = { name: logOrigin('north'), key: kr.current.privateKey, publicRaw: rawPublicKey(kr.current.publicJwk.x) };
  });
  after(() => net.close());
  const north = () => net.partners.north!;
  const ship = (body: unknown) => north().ctx.client.call('main', 'POST', '/s2s/logs/ship', body);
  const peerCode = (e: unknown) => (e as { details?: { peerCode?: string } }).details?.peerCode;

  /** A forged history for north: n entries and a checkpoint, signed with north's real key. */
  function forgedHistory(n: number, marker: string) {
    const t = new MerkleTree();
    let prev = ZERO_HASH;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const line = encodeEntry(prev, i, { ...fakeView('north', i), path: `/${marker}` });
      const leaf = entryLeaf(line);
      t.append(leaf);
      prev = leaf.toString('hex');
      lines.push(line);
    }
    const note = signNote(formatCheckpoint({ origin: logOrigin('north'), size: n, root: t.root(), time: new Date().toISOString() }), northSigner);
    return { lines, note, tree: t };
  }

  it('accepts shipments in batches, each cosigned, and the partner stores the cosignatures', async () => {
    appendViews(north().ctx, 1000);
    const r = await shipLog(north().ctx, north().ctx.logStore);
    assert.equal(r.error, undefined);
    assert.equal(r.acceptedSize, 1000);
    assert.equal(net.main.witness.store.latestCheckpoint('north')!.size, 1000);
    const own = await api(north().url, 'GET', '/manage/api/logs');
    assert.equal(own.body.acceptedByMain, 1000);
    assert.equal(own.body.backlog, 0);
    assert.match(own.body.latestCosignature.witness, /tieup-witness\/main/);
    const overview = await api(net.main.url, 'GET', '/admin/api/logs');
    const n = overview.body.sites.find((s: { site: string }) => s.site === 'north');
    assert.equal(n.size, 1000);
    assert.equal(n.cosigned, true);
  });

  it('answers a shipment from the wrong size with size_mismatch and the size it holds', async () => {
    const f = forgedHistory(1001, 'x');
    await assert.rejects(ship({ from: 500, entries: f.lines.slice(500, 501), checkpoint: f.note, proof: [] }), (e: unknown) => {
      assert.equal(peerCode(e), 'size_mismatch');
      assert.equal((e as { details: { body: { error: { details: { expected: number } } } } }).details.body.error.details.expected, 1000);
      return true;
    });
  });

  it('answers a same-size, different-root checkpoint as a fork and keeps both as evidence', async () => {
    const f = forgedHistory(1000, 'forged');
    await assert.rejects(ship({ from: 1000, entries: [], checkpoint: f.note, proof: [] }), (e: unknown) => peerCode(e) === 'fork');
    const forks = net.main.witness.store.forks('north');
    assert.equal(forks.length, 1);
    assert.match(forks[0]!.reason, /size 1000 with different roots/);
    assert.notEqual(forks[0]!.acceptedNote, forks[0]!.conflictingNote);
    const overview = await api(net.main.url, 'GET', '/admin/api/logs');
    assert.equal(overview.body.sites.find((s: { site: string }) => s.site === 'north').forks.length, 1);

    // The operator sees it on every console page, linked to the evidence: both signed notes as received.
    const admin = await consoleLogin(net.main.url, '/admin', 'operator');
    for (const page of ['/admin/', '/admin/sync', '/admin/logs']) {
      const html = (await admin.get(page).expect(200)).text;
      assert.match(html, /role="alert"[\s\S]*The log of north forked[\s\S]*href="\/admin\/logs\/forks\/north"/, page);
    }
    const evidence = (await admin.get('/admin/logs/forks/north').expect(200)).text;
    const unescape = (t: string) => t.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    assert.ok(unescape(evidence).includes(forks[0]!.acceptedNote), 'the accepted note, byte for byte');
    assert.ok(unescape(evidence).includes(forks[0]!.conflictingNote), 'the conflicting note, byte for byte');
    await admin.get('/admin/logs/forks/nobody').expect(404);
    // Without a session the evidence is not shown.
    const anon = await supertest(net.main.url).get('/admin/logs/forks/north');
    assert.equal(anon.status, 303);
  });

  it('answers an extension whose consistency proof does not hold as a fork', async () => {
    // Valid-looking new entries on top of the accepted ones, but a proof from another tree.
    const t = new MerkleTree(net.main.witness.store.leaves('north'));
    let prev = t.leaf(999).toString('hex');
    const lines: string[] = [];
    for (let i = 1000; i < 1010; i++) {
      const line = encodeEntry(prev, i, fakeView('north', i));
      t.append(entryLeaf(line));
      prev = entryLeaf(line).toString('hex');
      lines.push(line);
    }
    const note = signNote(formatCheckpoint({ origin: logOrigin('north'), size: 1010, root: t.root(), time: new Date().toISOString() }), northSigner);
    const wrongProof = forgedHistory(1010, 'other')
      .tree.consistencyProof(1000, 1010)
      .map((h) => h.toString('hex'));
    await assert.rejects(ship({ from: 1000, entries: lines, checkpoint: note, proof: wrongProof }), (e: unknown) => peerCode(e) === 'fork');
    assert.equal(net.main.witness.store.latestCheckpoint('north')!.size, 1000, 'nothing of the refused shipment was stored');
  });

  it('refuses entries that break the chain, claim another site, or do not match the checkpoint', async () => {
    const t = new MerkleTree(net.main.witness.store.leaves('north'));
    const good = encodeEntry(t.leaf(999).toString('hex'), 1000, fakeView('north', 1000));
    const cases: [string, string][] = [
      [encodeEntry(ZERO_HASH, 1000, fakeView('north', 1000)), 'bad_entry'],
      [encodeEntry(t.leaf(999).toString('hex'), 1000, fakeView('south', 1000)), 'bad_entry'],
      [good.replace('"status":200', '"status": 200'), 'bad_entry'],
    ];
    for (const [line, code] of cases) {
      const tt = new MerkleTree(net.main.witness.store.leaves('north'));
      tt.append(entryLeaf(line));
      const note = signNote(formatCheckpoint({ origin: logOrigin('north'), size: 1001, root: tt.root(), time: new Date().toISOString() }), northSigner);
      await assert.rejects(ship({ from: 1000, entries: [line], checkpoint: note, proof: tt.consistencyProof(1000, 1001).map((h) => h.toString('hex')) }), (e: unknown) => peerCode(e) === code);
    }
    const otherRoot = signNote(formatCheckpoint({ origin: logOrigin('north'), size: 1001, root: Buffer.alloc(32, 7), time: new Date().toISOString() }), northSigner);
    await assert.rejects(ship({ from: 1000, entries: [good], checkpoint: otherRoot, proof: [] }), (e: unknown) => peerCode(e) === 'checkpoint_mismatch');
  });

  it('keeps serving and logging while the main site is down, then ships the backlog once: nothing lost, nothing twice', async () => {
    const mainUrl = net.main.url;
    const port = Number(new URL(mainUrl).port);
    await net.main.close();
    for (let i = 0; i < 25; i++) assert.equal((await fetch(`${north().url}/nope-${i}`, { headers: { accept: 'text/html' } })).status, 404);
    appendViews(north().ctx, 700);
    const failed = await shipLog(north().ctx, north().ctx.logStore);
    assert.match(failed.error ?? '', /peer_unreachable/);
    assert.equal(north().ctx.logStore.shipping().acceptedSize, 1000);
    const { startMainSite } = await import('../main-site/server.js');
    const { siteConfig } = await import('./helpers/network.js');
    net.main = await startMainSite(siteConfig('main', 'main', net.dir, { port }), { defaultMetrics: false, watchContent: false });
    north().ctx.log.flush();
    const size = north().ctx.log.size;
    assert.equal(size, 1725);
    const r = await shipLog(north().ctx, north().ctx.logStore);
    assert.equal(r.error, undefined);
    assert.equal(r.acceptedSize, size);
    const stored = net.main.witness.store.entries('north', 0, size + 10);
    assert.equal(stored.length, size);
    assert.deepEqual(
      stored.map((e) => e.index),
      Array.from({ length: size }, (_, i) => i),
    );
    assert.equal(net.main.witness.store.latestCheckpoint('north')!.root.toString('hex'), north().ctx.log.root(size).toString('hex'));
  });
});
