import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, getPage, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

async function until(cond: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(30);
  }
}

describe('approval, rejection, supersede, rollback, emergency edits, drift, freezes and retries', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const hooks: { event: string; partner: string; detail: string }[] = [];
  let hookServer: ReturnType<typeof createServer>;

  before(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as { event: string; partner: string; detail: string });
        res.end();
      });
    });
    hookServer.listen(0, '127.0.0.1');
    await once(hookServer, 'listening');
    net = await startSyncNetwork(
      [
        { id: 'north', contract: { sync: { emergencyEdit: false } } },
        { id: 'south', contract: { sync: { requiresApproval: true, emergencyEdit: true } } },
      ],
      { pushMaxAttempts: 2, pushRetryBaseMs: 50 },
    );
    const port = (hookServer.address() as { port: number }).port;
    const w = await api(net.main.url, 'POST', '/admin/api/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['push_failed', 'release_rejected', 'drift_detected', 'emergency_edit', 'rollback'],
    });
    assert.equal(w.status, 201);
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'first' });
  });
  after(async () => {
    await net.close();
    hookServer.close();
  });
  const main = () => net.main.url;
  const south = () => net.partners.south!.url;
  const push = (id: string, body: Record<string, unknown> = {}) => api(main(), 'POST', `/admin/api/partners/${id}/push`, body);
  const publishPage = async (marker: string, note: string) => {
    net.write('pages/about.md', pageText('About us', marker));
    return (await api(main(), 'POST', '/admin/api/releases', { note })).body.release.number as number;
  };
  const southSync = async () => (await api(main(), 'GET', '/admin/api/partners/south')).body.sync;

  it('a partner that requires approval stages the release, lists it with a diff, and serves it only after approval', async () => {
    assert.equal((await push('south')).body.outcome, 'pending');
    assert.equal((await getPage(south(), '/about')).status, 404, 'nothing served before approval');
    await api(south(), 'POST', '/manage/api/pending/1/approve', {});
    const n = await publishPage('SECOND', 'second about');
    assert.equal((await push('south')).body.outcome, 'pending');
    const pending = await api(south(), 'GET', '/manage/api/pending');
    assert.equal(pending.body.pending.length, 1);
    const card = pending.body.pending[0];
    assert.equal(card.release, n);
    assert.equal(card.note, 'second about');
    assert.deepEqual(
      card.pages.changed.map((c: { url: string }) => c.url),
      ['/about'],
    );
    assert.match(card.pages.changed[0].diff, /\+Marker: SECOND/);
    assert.doesNotMatch((await getPage(south(), '/about')).text, /SECOND/);
    const preview = await api(south(), 'GET', `/manage/api/pending/${n}`);
    assert.equal(preview.body.previewUrl, `/manage/preview/${n}/`);
    const ok = await api(south(), 'POST', `/manage/api/pending/${n}/approve`, {});
    assert.equal(ok.body.reported, true);
    assert.match((await getPage(south(), '/about')).text, /SECOND/);
    const s = await southSync();
    assert.equal(s.activeRelease, n);
    assert.equal(s.stagedRelease, null);
    // The last push's row no longer says "pending": it says what the partner did with it.
    assert.equal(s.lastPush.outcome, 'active');
    assert.match(s.lastPush.detail, new RegExp(`release ${n} approved by .* and served`));
  });

  it('a newer release arriving while one waits supersedes the waiting one', async () => {
    const a = await publishPage('THIRD', 'third');
    await push('south');
    const b = await publishPage('FOURTH', 'fourth');
    await push('south');
    const pending = await api(south(), 'GET', '/manage/api/pending');
    assert.deepEqual(
      pending.body.pending.map((p: { release: number }) => p.release),
      [b],
    );
    assert.equal(net.partners.south!.sync.store.get(a)!.state, 'superseded');
  });

  it('a rejection needs a reason, travels back to the main site, and the rejected release is not pushed again', async () => {
    const n = net.main.sync.releases.latest()!.number;
    const noReason = await api(south(), 'POST', `/manage/api/pending/${n}/reject`, {});
    assert.equal(noReason.status, 400);
    const r = await api(south(), 'POST', `/manage/api/pending/${n}/reject`, { reason: 'Wrong opening hours' });
    assert.equal(r.body.state, 'rejected');
    const partners = await api(main(), 'GET', '/admin/api/partners');
    const s = partners.body.partners.find((p: { id: string }) => p.id === 'south').sync;
    assert.equal(s.stagedState, 'rejected');
    assert.equal(s.rejectReason, 'Wrong opening hours');
    const again = await push('south');
    assert.equal(again.body.outcome, 'skipped');
    assert.match(again.body.detail, /rejected/);
    await until(() => hooks.some((h) => h.event === 'release_rejected' && h.partner === 'south'));
    // A later release supersedes the rejected one.
    await publishPage('FIFTH', 'fixed hours');
    assert.equal((await push('south')).body.outcome, 'pending');
  });

  it('rolls back to a kept release; the main site sees it', async () => {
    const r1 = await publishPage('NORTH-A', 'a');
    await push('north');
    const r2 = await publishPage('NORTH-B', 'b');
    await push('north');
    assert.match((await getPage(net.partners.north!.url, '/about')).text, /NORTH-B/);
    const rb = await api(net.partners.north!.url, 'POST', `/manage/api/releases/${r1}/activate`, {});
    assert.equal(rb.body.state, 'active');
    assert.match((await getPage(net.partners.north!.url, '/about')).text, /NORTH-A/);
    const sync = (await api(main(), 'GET', '/admin/api/partners/north')).body.sync;
    assert.equal(sync.activeRelease, r1);
    assert.equal(sync.lastPush.outcome, 'rolled_back');
    assert.match(sync.lastPush.detail, new RegExp(`rolled back to ${r1} by .*, latest ${r2} not served`));
    const events = (await api(main(), 'GET', '/admin/api/sync/events?partner=north')).body.events;
    assert.equal(events[0].kind, 'rollback');
    const bad = await api(net.partners.north!.url, 'POST', `/manage/api/releases/99999/activate`, {});
    assert.equal(bad.status, 404);
    // The main operator can roll back too, to any release the partner kept.
    const byMain = await api(main(), 'POST', '/admin/api/partners/north/rollback', { release: r2 });
    assert.equal(byMain.status, 200);
    assert.equal(byMain.body.activeRelease, r2);
    assert.match((await getPage(net.partners.north!.url, '/about')).text, /NORTH-B/);
    const gone = await api(main(), 'POST', '/admin/api/partners/north/rollback', { release: 99999 });
    assert.equal(gone.status, 502);
    assert.equal(gone.body.error.details.peerCode, 'release_not_found');
  });

  it('emergency edits need the contract right, are served, logged, reported, and undone by the next release', async () => {
    const refused = await api(net.partners.north!.url, 'PUT', '/manage/api/tieup/pages/about.md', { content: '# Hacked', reason: 'test' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'no_emergency_right');
    await api(south(), 'POST', `/manage/api/pending/${net.main.sync.releases.latest()!.number}/approve`, {});
    const edit = await api(south(), 'PUT', '/manage/api/tieup/pages/about.md', { content: '# About us\n\nClosed today because of a storm.\n', reason: 'storm closure' });
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    assert.equal(edit.body.reported, true);
    assert.match((await getPage(south(), '/about')).text, /storm/);
    const s = await southSync();
    assert.ok(s.emergencyEditAt);
    assert.equal(s.drift, false, 'an announced emergency edit is not drift');
    await until(() => hooks.some((h) => h.event === 'emergency_edit'));
    const noPath = await api(south(), 'PUT', '/manage/api/tieup/pages/new.md', { content: 'x', reason: 'y' });
    assert.equal(noPath.status, 404);
    await publishPage('AFTER-STORM', 'reopened');
    await push('south');
    await api(south(), 'POST', `/manage/api/pending/${net.main.sync.releases.latest()!.number}/approve`, {});
    assert.match((await getPage(south(), '/about')).text, /AFTER-STORM/);
  });

  it("detects drift when a tie-up file is changed behind the partner's back, notifies, and a re-push repairs it", async () => {
    await push('north');
    const north = net.partners.north!;
    const rel = north.sync.store.get(north.sync.store.activeNumber()!)!;
    const about = rel.manifest.find((e) => e.path === 'pages/about.md')!;
    // Another process changes the stored page behind the partner's back.
    const intruder = new Database(north.ctx.config.dbFile);
    intruder.prepare('UPDATE blobs SET data = ? WHERE sha256 = ?').run(Buffer.from('# Defaced\n'), about.sha256);
    intruder.close();
    const checked = await api(main(), 'POST', '/admin/api/partners/north/check-drift', {});
    assert.equal(checked.body.drift, true);
    assert.match(checked.body.driftDetail, /differs from release/);
    await until(() => hooks.some((h) => h.event === 'drift_detected' && h.partner === 'north'));
    const repair = await push('north', { repair: true });
    assert.equal(repair.body.outcome, 'active');
    assert.equal(repair.body.blobsSent, 1);
    const after = (await api(main(), 'GET', '/admin/api/partners/north')).body.sync;
    assert.equal(after.drift, false);
    assert.doesNotMatch((await getPage(north.url, '/about')).text, /Defaced/);
  });

  it('a freeze window holds scheduled and plain manual pushes; an override goes through and says so', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    await api(main(), 'PATCH', '/admin/api/partners/north', { contract: { sync: { partnershipType: 'content', freezeWindows: [{ from, to, reason: 'sale weekend' }] } } });
    await publishPage('FROZEN', 'during freeze');
    const held = await push('north');
    assert.equal(held.body.outcome, 'frozen');
    assert.match(held.body.detail, /sale weekend/);
    const forced = await push('north', { overrideFreeze: true });
    assert.equal(forced.body.outcome, 'active');
    const d = (await api(main(), 'GET', '/admin/api/deliveries?partner=north&limit=1')).body.deliveries[0];
    assert.equal(d.freezeOverridden, true);
    await api(main(), 'PATCH', '/admin/api/partners/north', { contract: { sync: { partnershipType: 'content' } } });
  });

  it('a failing push is retried with backoff, then the partner shows as failing with the reason and a notification', async () => {
    await publishPage('UNREACHABLE', 'north down');
    const url = net.partners.north!.url;
    net.main.ctx.peers.setBaseUrl('north', 'http://127.0.0.1:9');
    const r = await push('north');
    assert.equal(r.body.outcome, 'failed');
    assert.equal(r.body.willRetry, true);
    await until(async () => (await api(main(), 'GET', '/admin/api/partners/north')).body.sync.failing === true);
    const s = (await api(main(), 'GET', '/admin/api/partners/north')).body.sync;
    assert.match(s.lastPush.detail, /failed after 2 attempt\(s\): peer_unreachable/);
    const log = (await api(main(), 'GET', '/admin/api/deliveries?partner=north&limit=2')).body.deliveries;
    assert.deepEqual(
      log.map((d: { trigger: string; outcome: string }) => [d.trigger, d.outcome]),
      [
        ['retry', 'failed'],
        ['manual', 'failed'],
      ],
    );
    await until(() => hooks.some((h) => h.event === 'push_failed' && h.partner === 'north'));
    net.main.ctx.peers.setBaseUrl('north', url);
    assert.equal((await push('north')).body.outcome, 'active');
    assert.equal((await api(main(), 'GET', '/admin/api/partners/north')).body.sync.failing, false);
  });

  it('keeps only the last N releases on the partner, and only their blobs', async () => {
    const south = net.partners.south!;
    const releases = south.sync.store.list();
    assert.ok(releases.filter((r) => r.state === 'previous').length <= 4);
    const wanted = new Set(releases.flatMap((r) => r.manifest.map((e) => e.sha256)));
    const db = new Database(south.ctx.config.dbFile, { readonly: true });
    const stored = (db.prepare('SELECT sha256 FROM blobs').all() as { sha256: string }[]).map((r) => r.sha256);
    db.close();
    assert.ok(stored.length > 0);
    assert.deepEqual(new Set(stored), wanted);
  });
});
