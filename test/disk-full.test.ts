import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { generateSiteKeys } from '../common/keys/keystore.js';
import { entryHead } from '../common/logchain/entry.js';
import { fromRoot } from '../common/paths.js';
import { PEER_HELLO } from '../common/protocol/index.js';
import { S2SCallError } from '../common/s2s/client.js';
import type { RunningMain } from '../main-site/server.js';
import { startPartnerSite, type RunningPartner } from '../partner-site/server.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { fillDisk, freeDisk } from './helpers/disk-full.js';
import { enrolPair, siteConfig, startSite, tempDir } from './helpers/network.js';

/** Polls until `probe` returns something truthy (a condition, never a rate: the limit only ends a hung test). */
async function until<T>(what: string, probe: () => Promise<T> | T, limitMs = 20_000): Promise<NonNullable<T>> {
  for (const end = Date.now() + limitMs; ; await new Promise((r) => setTimeout(r, 20))) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
  }
}

describe('full disk: a site whose disk fills stays up, keeps its log whole, says why, and resumes by itself', function () {
  this.timeout(90_000);
  const dir = tempDir('tieup-disk-');
  const lines: Record<string, unknown>[] = [];
  let main: RunningMain;
  let north: RunningPartner;

  const startNorth = async (port = 0) => {
    const cfg = siteConfig('partner', 'north', dir, { originalDir: fromRoot('partner-site/demo-original/north'), logLevel: 'info', port });
    const logDestination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    north = await startPartnerSite(cfg, { defaultMetrics: false, logDestination });
    north.ctx.config.publicUrl = north.url;
  };
  const healthz = async () => (await fetch(`${north.url}/healthz`)).json() as Promise<{ status: string; problems?: { component: string; code: string }[]; logPending?: number }>;
  const metrics = async () => (await fetch(`${north.url}/metrics`)).text();
  const page = async () => {
    const r = await fetch(`${north.url}/local-news`);
    await r.text();
    return r.status;
  };

  before(async () => {
    main = await startSite('main', 'main', dir);
    await generateSiteKeys(`${dir}/keys`, 'north');
    await startNorth();
    await enrolPair(dir, main, north);
  });
  after(async () => {
    await north?.close().catch(() => undefined);
    await main?.close();
  });

  it('serves pages, queues the log without a hole, answers writes with a signed disk_full, and reports it on /healthz, /metrics and in the log', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await page(), 200);
    assert.ok(north.ctx.log.flush());
    north.ctx.log.checkpoint();
    const before = north.ctx.log.size;
    assert.equal((await healthz()).status, 'ok');

    fillDisk(north.ctx.db);
    for (let i = 0; i < 30; i++) assert.equal(await page(), 200, 'pages answer while the disk is full');
    const h = await until('healthz reports the full disk', async () => {
      const v = await healthz();
      return v.status === 'degraded' ? v : undefined;
    });
    assert.deepEqual(
      h.problems!.map((p) => [p.component, p.code]),
      [['log', 'SQLITE_FULL']],
    );
    assert.equal((await fetch(`${north.url}/healthz`)).status, 200, 'degraded is still alive: a restart would not help');
    assert.equal(north.ctx.log.size, before, 'nothing was committed');
    assert.equal(north.ctx.log.pendingCount, 30, 'the 30 entries wait in order');
    // Past several retries of the flush: still up, still queued.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await page(), 200);
    const m = await metrics();
    assert.match(m, /tieup_storage_degraded\{[^}]*component="log"[^}]*code="SQLITE_FULL"[^}]*\} 1/);
    assert.match(m, /tieup_log_pending_entries\{[^}]*\} 31/);
    assert.match(m, /tieup_storage_write_failures_total\{[^}]*component="log"[^}]*code="SQLITE_FULL"[^}]*\} [2-9]/);
    const failedLines = lines.filter((l) => l.event === 'storage_write_failed');
    assert.equal(failedLines.length, 1, 'one log line per episode, not one per retry');
    assert.equal(failedLines[0]!.code, 'SQLITE_FULL');
    assert.match(String(failedLines[0]!.msg), /disk is full/);

    // What needs a write answers 503 disk_full, signed: the main site reads north's code, not response_unsigned.
    await assert.rejects(main.ctx.client.send('north', PEER_HELLO, {}), (e: unknown) => {
      assert.ok(e instanceof S2SCallError, String(e));
      assert.equal(e.clientCode, 'peer_error', e.message);
      assert.equal(e.details?.peerCode, 'disk_full');
      assert.equal(e.details?.status, 503);
      return true;
    });
    // Shipping from a full disk: the main site takes what is committed; north cannot record it, says so, and goes on.
    const shipped = await shipLog(north.ctx, north.ctx.logStore);
    assert.match(shipped.error ?? '', /disk is full/);
    assert.equal(main.witness.store.latestCheckpoint('north')?.size, before);

    freeDisk(north.ctx.db);
    await until('healthz is ok again', async () => (await healthz()).status === 'ok');
    assert.equal(north.ctx.log.pendingCount, 0);
    assert.equal(north.ctx.log.size, before + 31);
    assert.match(await metrics(), /tieup_storage_degraded\{[^}]*component="log"[^}]*code="SQLITE_FULL"[^}]*\} 0/);
    assert.ok(lines.some((l) => l.event === 'storage_write_resumed' && l.component === 'log'));
    for (let i = 0; i < 3; i++) assert.equal(await page(), 200);
    assert.ok(north.ctx.log.flush());
    assert.equal(north.ctx.log.size, before + 34);

    // Every entry is in the database, in order, chained: no hole.
    const db = new Database(north.ctx.config.dbFile, { readonly: true });
    const rows = db.prepare('SELECT idx, line, leaf FROM log_entries ORDER BY idx').all() as { idx: number; line: string; leaf: Buffer }[];
    db.close();
    assert.equal(rows.length, before + 34);
    rows.forEach((r, i) => {
      assert.equal(r.idx, i);
      if (i > 0) assert.equal(entryHead(r.line)!.prev, rows[i - 1]!.leaf.toString('hex'), `chain at ${i}`);
    });
    assert.equal(rows.filter((r) => r.line.includes('"path":"/local-news"')).length, 39);
    const after = await shipLog(north.ctx, north.ctx.logStore);
    assert.equal(after.error, undefined);
    assert.equal(after.acceptedSize, north.ctx.log.size);
  });

  it("shows the caller the callee's disk_full: north ships to a main site whose disk is full", async () => {
    for (let i = 0; i < 3; i++) assert.equal(await page(), 200);
    assert.ok(north.ctx.log.flush());
    fillDisk(main.ctx.db);
    try {
      const r = await shipLog(north.ctx, north.ctx.logStore);
      assert.match(r.error ?? '', /disk_full/);
      assert.doesNotMatch(r.error ?? '', /response_unsigned/);
    } finally {
      freeDisk(main.ctx.db);
    }
    const r = await shipLog(north.ctx, north.ctx.logStore);
    assert.equal(r.error, undefined);
    assert.equal(r.acceptedSize, north.ctx.log.size);
  });

  it('stops cleanly with a full disk and starts again on it: pages answer, the log continues without a hole', async () => {
    const committed = north.ctx.log.size;
    fillDisk(north.ctx.db);
    for (let i = 0; i < 4; i++) assert.equal(await page(), 200);
    const port = Number(new URL(north.url).port);
    await north.close(); // the queued entries cannot be written; closing must not throw
    assert.ok(lines.some((l) => l.event === 'log_close_unflushed' && l.pending === 4));

    await startNorth(port);
    fillDisk(north.ctx.db); // still full after the restart
    for (let i = 0; i < 4; i++) assert.equal(await page(), 200);
    await until('healthz reports the full disk', async () => (await healthz()).status === 'degraded');
    assert.equal(north.ctx.log.size, committed, 'the log continues from the last committed entry');
    freeDisk(north.ctx.db);
    await until('healthz is ok again', async () => (await healthz()).status === 'ok');
    assert.equal(north.ctx.log.size, committed + 4);
  });
});
