// npm run bench:auth — authenticated s2s requests per second against the same
// handler unauthenticated, in one run, plus sign and verify operations per second.
import { fork } from 'node:child_process';
import { sign as nodeSign, verify as nodeVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { importEd25519 } from '../common/keys/jwk.js';
import { PEER_HELLO } from '../common/protocol/index.js';
import { S2SClient } from '../common/s2s/client.js';
import { REQUEST_TYP, bodyHash, newJti, nowSeconds, signClaims } from '../common/s2s/tokens.js';
import { verifySignedToken } from '../common/s2s/verify.js';
import { COMMON_MIGRATIONS } from '../common/site/context.js';
import { PeerStore } from '../common/store/peer-store.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { MAIN_SITE } from '../main-site/server.js';
import { siteMigrations } from '../common/site/host.js';
import { fromRoot } from '../common/paths.js';
import { closedLoop, fmt, report } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

async function opsPerSecond(op: () => unknown, ms: number): Promise<number> {
  const end = performance.now() + ms;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await op();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'tieup-bench-auth-'));
const keysDir = join(dir, 'keys');
await generateSiteKeys(keysDir, 'main');
await generateSiteKeys(keysDir, 'north');
const mainKeys = await loadKeyring(keysDir, 'main');
const northKeys = await loadKeyring(keysDir, 'north');

// The main site's database: north enrolled with its pinned key.
const mainDb = openDatabase(join(dir, 'main.sqlite'));
runMigrations(mainDb, siteMigrations(MAIN_SITE));
new PeerStore(mainDb).add({
  id: 'north',
  role: 'partner',
  baseUrl: 'http://127.0.0.1:1',
  ackedKid: mainKeys.current.kid,
  keys: [{ thumbprint: northKeys.current.kid, publicJwk: { ...northKeys.current.publicJwk } }],
});
mainDb.close();

const child = fork(fromRoot('dist/bench/auth-server.js'), [], {
  // e.g. BENCH_SERVER_EXEC_ARGV="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server side.
  execArgv: process.env.BENCH_SERVER_EXEC_ARGV ? process.env.BENCH_SERVER_EXEC_ARGV.split(' ') : [],
  env: { ...process.env, TIEUP_SITE_ID: 'main', TIEUP_PORT: '0', TIEUP_KEYS_DIR: keysDir, TIEUP_DB_FILE: join(dir, 'main.sqlite'), TIEUP_DATA_DIR: dir, TIEUP_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const { url } = await new Promise<{ url: string }>((resolve) => child.once('message', (m) => resolve(m as { url: string })));

// The caller (north) in this process: a real client that signs requests and verifies answers.
const northDb = openDatabase(join(dir, 'north.sqlite'));
runMigrations(northDb, [COMMON_MIGRATIONS]);
const northPeers = new PeerStore(northDb);
northPeers.add({ id: 'main', role: 'main', baseUrl: url, ackedKid: northKeys.current.kid, keys: [{ thumbprint: mainKeys.current.kid, publicJwk: { ...mainKeys.current.publicJwk } }] });
const client = new S2SClient({ selfId: 'north', peers: northPeers, keyring: () => northKeys });
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const body = Buffer.from('{}');

const plainOp = async () => {
  const r = await request(`${url}/plain/hello`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body });
  await r.body.arrayBuffer();
  if (r.statusCode !== 200) throw new Error(String(r.statusCode));
};
const authOp = () => client.send('main', PEER_HELLO, {});

/** CPU microseconds used so far by the server process (all its threads). */
const serverCpu = () =>
  new Promise<number>((resolve) => {
    const on = (m: unknown) => {
      if (m && typeof m === 'object' && 'cpu' in m) {
        child.off('message', on);
        resolve((m as { cpu: number }).cpu);
      }
    };
    child.on('message', on);
    child.send('cpu');
  });
const clientCpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
/** One measured slice, with the CPU both processes spent on it. */
async function measured(op: () => Promise<unknown>, ms: number) {
  const s0 = await serverCpu();
  const c0 = clientCpu();
  const r = await closedLoop(op, CONCURRENCY, ms);
  const c1 = clientCpu();
  const s1 = await serverCpu();
  return { ...r, serverUs: s1 - s0, clientUs: c1 - c0 };
}

try {
  console.log(`bench:auth: ${SECONDS} s per measurement, ${CONCURRENCY} requests in flight, server in its own process`);
  await closedLoop(plainOp, CONCURRENCY, 1000);
  await closedLoop(authOp, CONCURRENCY, 1000);
  // Many short alternating rounds, so noise from other work on the machine falls on both sides alike.
  const ROUNDS = 6;
  const slice = (SECONDS * 1000) / ROUNDS;
  let plainCount = 0;
  let authCount = 0;
  let plainMs = 0;
  let authMs = 0;
  let errors = 0;
  const cpu = { plainServer: 0, plainClient: 0, authServer: 0, authClient: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const p = await measured(plainOp, slice);
    const a = await measured(authOp, slice);
    cpu.plainServer += p.serverUs;
    cpu.plainClient += p.clientUs;
    cpu.authServer += a.serverUs;
    cpu.authClient += a.clientUs;
    plainCount += p.count;
    authCount += a.count;
    plainMs += (p.count / p.rps) * 1000;
    authMs += (a.count / a.rps) * 1000;
    errors += p.errors + a.errors;
  }
  const plainRps = plainCount / (plainMs / 1000);
  const authRps = authCount / (authMs / 1000);

  // Token operations as the middleware and client do them, next to the bare Ed25519 operation.
  const claims = () => ({ iss: 'north', aud: 'main', iat: nowSeconds(), exp: nowSeconds() + 60, jti: newJti(), htm: 'POST', htu: '/s2s/hello', bh: bodyHash(body) });
  const token = signClaims(northKeys.current, REQUEST_TYP, claims());
  const pub = importEd25519(northKeys.current.publicJwk);
  const signOps = await opsPerSecond(() => signClaims(northKeys.current, REQUEST_TYP, claims()), 1500);
  const verifyOps = await opsPerSecond(() => verifySignedToken(token, REQUEST_TYP, () => pub), 1500);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const msg = Buffer.from(token.split('.').slice(0, 2).join('.'));
  const sig = nodeSign(null, msg, privateKey);
  const nodeSignOps = await opsPerSecond(() => nodeSign(null, msg, privateKey), 1500);
  const nodeVerifyOps = await opsPerSecond(() => nodeVerify(null, msg, publicKey, sig), 1500);

  report(
    'Authenticated s2s vs the same handler without auth',
    [
      ['plain requests/s (no auth)', fmt(plainRps)],
      ['authenticated requests/s', fmt(authRps)],
      ['auth_ratio (auth / plain)', fmt(authRps / plainRps, 3)],
      ['request errors', String(errors)],
      ['server CPU per request, plain / auth, us', `${fmt(cpu.plainServer / plainCount)} / ${fmt(cpu.authServer / authCount)}`],
      ['client CPU per request, plain / auth, us', `${fmt(cpu.plainClient / plainCount)} / ${fmt(cpu.authClient / authCount)}`],
      ['token sign ops/s (tieup s2s token)', fmt(signOps)],
      ['token verify ops/s (tieup s2s token)', fmt(verifyOps)],
      ['bare Ed25519 sign ops/s (node:crypto)', fmt(nodeSignOps)],
      ['bare Ed25519 verify ops/s (node:crypto)', fmt(nodeVerifyOps)],
    ],
    {
      auth_rps: Math.round(authRps),
      plain_rps: Math.round(plainRps),
      auth_ratio: Number((authRps / plainRps).toFixed(3)),
      sign_ops: Math.round(signOps),
      verify_ops: Math.round(verifyOps),
      node_sign_ops: Math.round(nodeSignOps),
      node_verify_ops: Math.round(nodeVerifyOps),
      errors,
      server_cpu_us_plain: Math.round(cpu.plainServer / plainCount),
      server_cpu_us_auth: Math.round(cpu.authServer / authCount),
      client_cpu_us_plain: Math.round(cpu.plainClient / plainCount),
      client_cpu_us_auth: Math.round(cpu.authClient / authCount),
      seconds: SECONDS,
      concurrency: CONCURRENCY,
    },
  );
} finally {
  await client.close();
  await agent.close();
  child.kill('SIGTERM');
  northDb.close();
  rmSync(dir, { recursive: true, force: true });
}
