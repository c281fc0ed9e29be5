// npm run bench:push — a 2,000-page site pushed to 20 partners on loopback:
// the first full sync, then a one-page change (bytes exchanged per partner
// against the page's size, and the time until every partner serves it).
import { fork } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { loadNetworkConfig } from '../cli/network-config.js';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { fromRoot } from '../common/paths.js';
import { startMainSite } from '../main-site/server.js';
import { publish } from '../main-site/sync/publisher.js';
import { fmt, report } from './lib/report.js';

const PAGES = Number(process.env.BENCH_PAGES ?? 2000);
const PARTNERS = Number(process.env.BENCH_PARTNERS ?? 20);
const PAGE_BYTES = 4096;

function page(i: number, marker: string): string {
  let s = `---\ntitle: Page ${i}\n---\n# Page ${i}\n\n${marker}\n\n`;
  const filler = `Product notes for item ${i}: sturdy, light, tested on long trails in all weather. `;
  while (s.length < PAGE_BYTES) s += filler;
  return s.slice(0, PAGE_BYTES - 1) + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'tieup-bench-push-'));
const contentDir = join(dir, 'content');
mkdirSync(join(contentDir, 'pages'), { recursive: true });
cpSync(fromRoot('templates'), join(dir, 'templates'), { recursive: true });
cpSync(fromRoot('main-site/demo-content/assets'), join(contentDir, 'assets'), { recursive: true });
for (let i = 0; i < PAGES; i++) writeFileSync(join(contentDir, 'pages', `p${i}.md`), page(i, `version-1 of page ${i}`));
const ids = Array.from({ length: PARTNERS }, (_, i) => `p${String(i).padStart(2, '0')}`);
const keysDir = join(dir, 'keys');
for (const id of ['main', ...ids]) await generateSiteKeys(keysDir, id);

const main = await startMainSite(
  loadNetworkConfig('main', {}, { siteId: 'main', port: 0, dataDir: join(dir, 'data'), keysDir, logLevel: 'warn', contentDir, templatesDir: join(dir, 'templates'), pushConcurrency: 8 }),
  { defaultMetrics: false, watchContent: false },
);
const farm = fork(fromRoot('dist/bench/partner-farm.js'), [], {
  // e.g. BENCH_FARM_EXEC_ARGV="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the partners.
  execArgv: process.env.BENCH_FARM_EXEC_ARGV ? process.env.BENCH_FARM_EXEC_ARGV.split(' ') : [],
  env: { ...process.env, FARM_DIR: dir, FARM_IDS: ids.join(','), FARM_MAIN_URL: main.url },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const { urls } = await new Promise<{ urls: Record<string, string> }>((resolve) => farm.once('message', (m) => resolve(m as { urls: Record<string, string> })));
const mainKid = main.ctx.keyring().current.kid;
for (const id of ids) {
  const kr = await loadKeyring(keysDir, id);
  main.ctx.peers.add({
    id,
    role: 'partner',
    baseUrl: urls[id]!,
    contract: main.ctx.terms.initial({ sync: { partnershipType: 'content' } }),
    ackedKid: mainKid,
    keys: [{ thumbprint: kr.current.kid, publicJwk: { ...kr.current.publicJwk } }],
  });
}
const agent = new Agent({ connections: 8 });

async function allServe(path: string, marker: string): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      for (;;) {
        const r = await request(urls[id]! + path, { dispatcher: agent });
        if ((await r.body.text()).includes(marker)) return;
        await new Promise((res) => setTimeout(res, 20));
      }
    }),
  );
}

async function pushAll() {
  const out = await Promise.all(ids.map((id) => main.sync.queue.push({ partnerId: id, trigger: 'manual' })));
  const failed = out.filter((o) => o.outcome !== 'active');
  if (failed.length) throw new Error(`push failed: ${JSON.stringify(failed[0])}`);
  return out;
}

try {
  console.log(`bench:push: ${PAGES} pages of ${PAGE_BYTES} bytes, ${PARTNERS} partners on loopback (partners in a second process)`);
  const t0 = performance.now();
  const r1 = publish(main.sync, 'initial', 'bench');
  const publishS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const full = await pushAll();
  await allServe('/p0', 'version-1 of page 0');
  const fullS = (performance.now() - t1) / 1000;
  const fullBytes = full.reduce((a, o) => a + o.bytesSent + o.bytesReceived, 0);

  const changed = page(777, 'version-2 of page 777');
  writeFileSync(join(contentDir, 'pages', 'p777.md'), changed);
  const t2 = performance.now();
  const r2 = publish(main.sync, 'one page', 'bench');
  const delta = await pushAll();
  await allServe('/p777', 'version-2 of page 777');
  const deltaS = (performance.now() - t2) / 1000;
  const perPartner = delta.map((o) => o.bytesSent + o.bytesReceived);
  const avgDelta = perPartner.reduce((a, b) => a + b, 0) / perPartner.length;
  const ratio = avgDelta / Buffer.byteLength(changed);
  const blobsPer = delta.map((o) => o.blobsSent);

  report(
    'Push: full sync and a one-page change',
    [
      ['pages / partners', `${PAGES} / ${PARTNERS}`],
      ['releases', `${r1.release.number} (${r1.release.manifest.length} files), ${r2.release.number}`],
      ['publish (scan + render check) s', fmt(publishS, 2)],
      ['full sync: time until all serve, s', fmt(fullS, 2)],
      ['full sync: body bytes, all partners', fmt(fullBytes)],
      ['one-page change: body bytes per partner (both ways)', fmt(avgDelta)],
      ['changed page size, bytes', fmt(Buffer.byteLength(changed))],
      ['delta_bytes_ratio (bytes / page size)', fmt(ratio, 3)],
      ['blobs sent per partner for the change', `${Math.min(...blobsPer)}-${Math.max(...blobsPer)}`],
      ['one-page change: publish to all serving, s', fmt(deltaS, 2)],
    ],
    {
      full_sync_s: Number(fullS.toFixed(3)),
      full_sync_bytes: fullBytes,
      delta_bytes_ratio: Number(ratio.toFixed(3)),
      delta_bytes_per_partner: Math.round(avgDelta),
      delta_sync_s: Number(deltaS.toFixed(3)),
      publish_s: Number(publishS.toFixed(3)),
      pages: PAGES,
      partners: PARTNERS,
    },
  );
} finally {
  await agent.close();
  // The partners stop (and make their last log shipment) before the main site goes, so nothing is printed after the JSON line.
  const farmExited = farm.exitCode === null && farm.signalCode === null ? new Promise((r) => farm.once('exit', r)) : Promise.resolve();
  farm.kill('SIGTERM');
  await farmExited;
  await main.close();
  rmSync(dir, { recursive: true, force: true });
}
