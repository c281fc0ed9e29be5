// npm run bench:serve — requests per second for a tie-up product page on a
// partner (an anonymous shopper with a cart cookie; each answer writes its
// access-log entry), against the same HTML from express.static and from a bare
// node:http server, each server in its own process, load from this process.
// Then the p99 latency of that page before and during the activation of a
// 500-page release on the partner (load from a worker thread, so the main
// site's pushing in this process does not delay the measurement itself).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { loadNetworkConfig } from '../cli/network-config.js';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { fromRoot } from '../common/paths.js';
import { startMainSite } from '../main-site/server.js';
import { publish } from '../main-site/sync/publisher.js';
import type { LatencyJob, Sample } from './lib/latency-worker.js';
import { closedLoop, fmt, report } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PRODUCT = '/shop/product/tent-2p';
const ACTIVATIONS = Number(process.env.BENCH_ACTIVATIONS ?? 3);
const ACTIVATION_PAGES = Number(process.env.BENCH_ACTIVATION_PAGES ?? 500);
const BEFORE_MS = Number(process.env.BENCH_BEFORE_MS ?? 3000);

const dir = mkdtempSync(join(tmpdir(), 'tieup-bench-serve-'));
const keysDir = join(dir, 'keys');
const children: ChildProcess[] = [];

function start(mode: 'partner' | 'static' | 'raw', env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(fromRoot('dist/bench/serve-server.js'), [mode], {
    execArgv: mode === 'partner' && process.env.BENCH_SERVER_EXEC_ARGV ? process.env.BENCH_SERVER_EXEC_ARGV.split(' ') : [],
    env: { ...process.env, BENCH_DIR: dir, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ url: (m as { url: string }).url, child }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const op = (url: string, headers: Record<string, string>) => async () => {
  const r = await request(url, { dispatcher: agent, headers });
  await r.body.arrayBuffer();
  if (r.statusCode !== 200) throw new Error(String(r.statusCode));
};

/** Alternating short rounds would need all three servers up at once on two cores; one server at a time, each measured twice (start and end), is fairer here. */
async function measure(url: string, headers: Record<string, string> = {}): Promise<number> {
  await closedLoop(op(url, headers), CONCURRENCY, 1000);
  const r = await closedLoop(op(url, headers), CONCURRENCY, (SECONDS * 1000) / 2);
  if (r.errors > 0) throw new Error(`${r.errors} failed requests against ${url}`);
  return r.rps;
}

/** A page of the bulk release: about 4 KB of markdown whose text changes with every activation. */
function bulkPage(i: number, round: number): string {
  let s = `---\ntitle: Bulk page ${i}\n---\n# Bulk page ${i}\n\nVersion ${round} of page ${i}.\n\n`;
  const filler = `Notes for item ${i}: sturdy, light, tested on long trails in all weather; *version ${round}*. `;
  while (s.length < 4096) s += filler;
  return s.slice(0, 4095) + '\n';
}

const now = () => performance.timeOrigin + performance.now();
function p99(ms: number[]): number {
  if (!ms.length) return NaN;
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

try {
  for (const id of ['main', 'north']) await generateSiteKeys(keysDir, id);
  // The demo content, copied so the activation phase can add a 500-page release to it; published by hand (no watcher).
  const contentDir = join(dir, 'content');
  cpSync(fromRoot('main-site/demo-content'), contentDir, { recursive: true });
  const main = await startMainSite(loadNetworkConfig('main', {}, { siteId: 'main', port: 0, dataDir: join(dir, 'data'), keysDir, logLevel: 'warn', contentDir, templatesDir: fromRoot('templates') }), {
    defaultMetrics: false,
    watchContent: false,
  });
  publish(main.sync, 'demo content', 'bench');
  const mainKeys = await loadKeyring(keysDir, 'main');
  const northKeys = await loadKeyring(keysDir, 'north');
  const partnerEnv = (fastPath: boolean) => ({
    TIEUP_SITE_ID: 'north',
    TIEUP_PORT: '0',
    TIEUP_KEYS_DIR: keysDir,
    TIEUP_DATA_DIR: join(dir, 'data'),
    TIEUP_LOG_LEVEL: 'warn',
    TIEUP_ORIGINAL_DIR: fromRoot('partner-site/demo-original/north'),
    TIEUP_FAST_PATH: String(fastPath),
    // Shipping the log to the main site (in this process) would slow the load generator; entries are still written and checkpointed.
    TIEUP_LOG_SHIP_MS: '3600000',
    BENCH_MAIN: JSON.stringify({ id: 'main', url: main.url, keys: mainKeys.valid().map((k) => ({ thumbprint: k.kid, publicJwk: { ...k.publicJwk } })) }),
  });
  let partner = await start('partner', partnerEnv(true));
  main.ctx.peers.add({
    id: 'north',
    role: 'partner',
    baseUrl: partner.url,
    contract: main.ctx.terms.initial({ sync: { partnershipType: 'content' } }),
    ackedKid: main.ctx.keyring().current.kid,
    keys: northKeys.valid().map((k) => ({ thumbprint: k.kid, publicJwk: { ...k.publicJwk } })),
  });
  const pushed = await main.sync.queue.push({ partnerId: 'north', trigger: 'manual' });
  if (pushed.outcome !== 'active') throw new Error(`push failed: ${JSON.stringify(pushed)}`);
  const first = await request(partner.url + PRODUCT);
  const cookie = String(first.headers['set-cookie']).split(';')[0]!;
  const html = await first.body.text();
  if (first.statusCode !== 200 || !html.includes('Trail tent')) throw new Error(`the product page answered ${first.statusCode}`);
  mkdirSync(join(dir, 'static'), { recursive: true });
  writeFileSync(join(dir, 'static', 'page.html'), html);
  const headers = { cookie, 'user-agent': 'Mozilla/5.0 (bench)' };

  console.log(`bench:serve: ${SECONDS} s per server, ${CONCURRENCY} requests in flight, each server in its own process`);
  const page1 = await measure(partner.url + PRODUCT, headers);
  await stop(partner.child);
  partner = await start('partner', partnerEnv(false));
  const express1 = await measure(partner.url + PRODUCT, headers);
  await stop(partner.child);
  const stat = await start('static');
  const static1 = await measure(`${stat.url}/page.html`);
  await stop(stat.child);
  const raw = await start('raw');
  const raw1 = await measure(raw.url);
  await stop(raw.child);
  partner = await start('partner', partnerEnv(true));
  const page2 = await measure(partner.url + PRODUCT, headers);
  await stop(partner.child);
  const pageRps = (page1 + page2) / 2;

  // Activation: the same page under the same load, before and while releases of ACTIVATION_PAGES changed pages are pushed and activated.
  partner = await start('partner', partnerEnv(true));
  main.ctx.peers.setBaseUrl('north', partner.url);
  const job: LatencyJob = { url: partner.url + PRODUCT, headers, concurrency: CONCURRENCY };
  const worker = new Worker(fromRoot('dist/bench/lib/latency-worker.js'), { workerData: job });
  await once(worker, 'message');
  await sleep(1000);
  const before: [number, number] = [now(), 0];
  await sleep(BEFORE_MS);
  before[1] = now();
  const windows: [number, number][] = [];
  mkdirSync(join(contentDir, 'pages', 'bulk'), { recursive: true });
  for (let round = 1; round <= ACTIVATIONS; round++) {
    for (let i = 0; i < ACTIVATION_PAGES; i++) writeFileSync(join(contentDir, 'pages', 'bulk', `p${i}.md`), bulkPage(i, round));
    publish(main.sync, `bulk ${round}`, 'bench');
    // The publish above is the main site's work; let the load settle before the push starts.
    await sleep(500);
    const from = now();
    const pushedBulk = await main.sync.queue.push({ partnerId: 'north', trigger: 'manual' });
    windows.push([from, now()]);
    if (pushedBulk.outcome !== 'active') throw new Error(`bulk push failed: ${JSON.stringify(pushedBulk)}`);
    await sleep(500);
  }
  const collected = once(worker, 'message');
  worker.postMessage('stop');
  const samples = (await collected)[0] as Sample[];
  await worker.terminate();
  await stop(partner.child);
  const beforeMs = samples.filter(([s]) => s >= before[0] && s < before[1]).map(([s, e]) => e - s);
  // A request is "during" when it was in flight at any moment of a push (offer, blobs, commit and activation).
  const duringSamples = samples.filter(([s, e]) => windows.some(([from, to]) => s < to && e > from));
  const duringMs = duringSamples.map(([s, e]) => e - s);
  const failedDuring = duringSamples.filter(([, , ok]) => ok === 0).length;
  if (failedDuring > 0) throw new Error(`${failedDuring} page requests failed during activation`);
  const p99Before = p99(beforeMs);
  const p99During = p99(duringMs);
  const activationRatio = p99During / p99Before;
  const pushMs = windows.reduce((a, [from, to]) => a + (to - from), 0) / windows.length;
  await main.close();

  report(
    'Product page on a partner vs the same HTML from express.static and bare node:http',
    [
      ['page (partner, fast path)', `${fmt(pageRps)} req/s  (${fmt(page1)} then ${fmt(page2)})`],
      ['page (partner, express route)', `${fmt(express1)} req/s`],
      ['express.static, same HTML', `${fmt(static1)} req/s`],
      ['bare node:http, from memory', `${fmt(raw1)} req/s`],
      ['page bytes', fmt(Buffer.byteLength(html))],
      ['serve_ratio (page / static)', `${fmt(pageRps / static1, 2)}   target >= 1.0`],
      ['limit_ratio (page / raw)', `${fmt(pageRps / raw1, 2)}   target >= 0.4`],
      ['page p99, before activation', `${fmt(p99Before, 1)} ms  (${fmt(beforeMs.length)} requests)`],
      [`page p99, during ${ACTIVATION_PAGES}-page activation`, `${fmt(p99During, 1)} ms  (${fmt(duringMs.length)} requests, ${ACTIVATIONS} pushes of ${fmt(pushMs)} ms on average)`],
      ['activation_p99_ratio (during / before)', `${fmt(activationRatio, 2)}   target <= 2`],
    ],
    {
      page_rps: Math.round(pageRps),
      page_express_rps: Math.round(express1),
      static_rps: Math.round(static1),
      raw_rps: Math.round(raw1),
      serve_ratio: Number((pageRps / static1).toFixed(3)),
      limit_ratio: Number((pageRps / raw1).toFixed(3)),
      page_bytes: Buffer.byteLength(html),
      concurrency: CONCURRENCY,
      p99_before_ms: Number(p99Before.toFixed(1)),
      p99_during_activation_ms: Number(p99During.toFixed(1)),
      activation_push_ms: Math.round(pushMs),
      activation_pages: ACTIVATION_PAGES,
      activation_p99_ratio: Number(activationRatio.toFixed(3)),
    },
  );
} finally {
  await Promise.all(children.map(stop));
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
}
