// npm run bench:serve — requests per second for a tie-up product page on a
// partner (an anonymous shopper with a cart cookie; each answer writes its
// access-log entry), against the same HTML from express.static and from a bare
// node:http server, each server in its own process, load from this process.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { loadNetworkConfig } from '../cli/network-config.js';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { fromRoot } from '../common/paths.js';
import { startMainSite } from '../main-site/server.js';
import { closedLoop, fmt, report } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PRODUCT = '/shop/product/tent-2p';

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

try {
  for (const id of ['main', 'north']) await generateSiteKeys(keysDir, id);
  const main = await startMainSite(
    loadNetworkConfig(
      'main',
      {},
      { siteId: 'main', port: 0, dataDir: join(dir, 'data'), keysDir, logLevel: 'warn', contentDir: fromRoot('main-site/demo-content'), templatesDir: fromRoot('templates') },
    ),
    { defaultMetrics: false, watchContent: true },
  );
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
    },
  );
} finally {
  await Promise.all(children.map(stop));
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
}
