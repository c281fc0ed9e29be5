// npm run bench:logs — durable appends per second on the serving path, offline
// verification of a 1,000,000-entry bundle next to bare SHA-256 over the same
// leaves, inclusion-proof verifications per second, and append-to-cosignature latency.
import { createHash, hash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keysFromJwks, readBundleFile, verifyBundle } from '../common/logchain/audit.js';
import { encodeEntry, entryLeaf, ZERO_HASH, type EntryFields } from '../common/logchain/entry.js';
import { MerkleTree, verifyInclusion } from '../common/logchain/merkle.js';
import { formatCheckpoint, logOrigin, rawPublicKey, signNote } from '../common/logchain/note.js';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { loadNetworkConfig } from '../cli/network-config.js';
import { startMainSite } from '../main-site/server.js';
import { startPartnerSite } from '../partner-site/server.js';
import { fmt, report } from './lib/report.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 200_000);

const fields = (i: number): EntryFields => ({
  time: new Date(Date.UTC(2026, 10, 1) + i * 10).toISOString(),
  site: 'north',
  type: 'page',
  path: ['/', '/about', '/products', '/local-news'][i % 4]!,
  kind: i % 4 === 3 ? 'original' : 'tie-up',
  release: 7,
  status: 200,
  bytes: 4000 + (i % 900),
  user: i % 5 === 0 ? `u${i % 1000}` : null,
  session: `s${i % 5000}`,
  client: `192.0.${i % 256}.0/24`,
  ua: i % 3 ? 'browser' : 'mobile',
  order: null,
});

const dir = mkdtempSync(join(tmpdir(), 'tieup-bench-logs-'));
const keysDir = join(dir, 'keys');
await generateSiteKeys(keysDir, 'main');
await generateSiteKeys(keysDir, 'north');
const cfg = (role: 'main' | 'partner', id: string, port = 0) =>
  loadNetworkConfig(
    role,
    {},
    { siteId: id, port, dataDir: join(dir, 'data'), keysDir, logLevel: 'warn', originalDir: join(dir, 'orig'), contentDir: join(dir, 'content'), templatesDir: join(dir, 'tpl') },
  );
const main = await startMainSite(cfg('main', 'main'), { defaultMetrics: false, watchContent: false });
const north = await startPartnerSite(cfg('partner', 'north'), { defaultMetrics: false });
const mk = await loadKeyring(keysDir, 'main');
const nk = await loadKeyring(keysDir, 'north');
main.ctx.peers.add({ id: 'north', role: 'partner', baseUrl: north.url, ackedKid: mk.current.kid, keys: [{ thumbprint: nk.current.kid, publicJwk: { ...nk.current.publicJwk } }] });
north.ctx.peers.add({ id: 'main', role: 'main', baseUrl: main.url, ackedKid: nk.current.kid, keys: [{ thumbprint: mk.current.kid, publicJwk: { ...mk.current.publicJwk } }] });

try {
  console.log(`bench:logs: ${fmt(APPENDS)} appends, a ${fmt(ENTRIES)}-entry bundle`);

  // 2. A 1,000,000-entry bundle, verified offline, next to bare SHA-256 over the same leaves.
  const lines: string[] = [];
  const tree = new MerkleTree();
  let prev = ZERO_HASH;
  for (let i = 0; i < ENTRIES; i++) {
    const line = encodeEntry(prev, i, fields(i));
    const leaf = entryLeaf(line);
    tree.append(leaf);
    prev = leaf.toString('hex');
    lines.push(line);
  }
  const signer = { name: logOrigin('north'), key: nk.current.privateKey, publicRaw: rawPublicKey(nk.current.publicJwk.x) };
  const cps: string[] = [];
  for (let size = ENTRIES / 10; size <= ENTRIES; size += ENTRIES / 10)
    cps.push(
      JSON.stringify({
        checkpoint: signNote(formatCheckpoint({ origin: logOrigin('north'), size, root: tree.root(size), time: new Date(Date.UTC(2026, 10, 1) + size).toISOString() }), signer),
        cosignatures: [],
      }),
    );
  const header = JSON.stringify({ bundle: 'tieup-audit', version: 1, site: 'north', origin: logOrigin('north'), exportedAt: new Date().toISOString(), range: null, keys: [] });
  // As `tieup audit verify` reads it: the file's bytes, read into shared memory.
  const bundleFile = join(dir, 'north.bundle.jsonl');
  writeFileSync(bundleFile, [header, ...cps, ...lines].join('\n') + '\n');
  const text = readBundleFile(bundleFile);
  // The bench's checkpoints are north's alone (no witness): allowed explicitly.
  const keys = { trust: { sites: { north: keysFromJwks([north.ctx.keyring().jwks()]) }, witnesses: {}, source: 'pinned' as const }, allowUncosigned: true };
  const bufs = lines.map((l) => Buffer.from(l));
  // Two baselines, one thread each, no tree and no parsing: the usual streaming
  // API (createHash().update().digest(), a Hash object and a Buffer per leaf),
  // and the one-shot crypto.hash the verifier itself uses, with a string result.
  const bareStreaming = () => {
    const t = performance.now();
    for (const b of bufs) createHash('sha256').update(b).digest();
    return ENTRIES / ((performance.now() - t) / 1000);
  };
  const bareOneShot = () => {
    const t = performance.now();
    for (const b of bufs) hash('sha256', b, 'binary');
    return ENTRIES / ((performance.now() - t) / 1000);
  };
  const verify = () => {
    const t = performance.now();
    const r = verifyBundle(text, keys);
    if (!r.ok) throw new Error(`bench bundle did not verify: ${r.message}`);
    return ENTRIES / ((performance.now() - t) / 1000);
  };
  bareStreaming();
  bareOneShot();
  verify();
  // Interleaved, so a noisy neighbour slows all three alike.
  const runs = { sha: [] as number[], one: [] as number[], ver: [] as number[] };
  for (let k = 0; k < 3; k++) {
    runs.sha.push(bareStreaming());
    runs.one.push(bareOneShot());
    runs.ver.push(verify());
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  const sha = mid(runs.sha);
  const oneShot = mid(runs.one);
  const ver = mid(runs.ver);

  // 3. Inclusion proofs: generate a few thousand, then verify as fast as possible.
  const size = tree.size;
  const root = tree.root(size);
  const proofs = Array.from({ length: 5000 }, (_, k) => {
    const i = (k * 7919) % size;
    return { i, leaf: tree.leaf(i), proof: tree.inclusionProof(i, size) };
  });
  const tp = performance.now();
  let verified = 0;
  while (performance.now() - tp < 1500) {
    for (const p of proofs) if (verifyInclusion(p.leaf, p.i, size, p.proof, root)) verified++;
  }
  const proofsPerS = verified / ((performance.now() - tp) / 1000);

  // 3b. Durable appends on the serving path (after the verification runs, so the shipping
  // of this burst does not share the CPU with them): append() plus the group commits, until all is committed.
  const t0 = performance.now();
  for (let i = 0; i < APPENDS; i++) {
    north.ctx.log.append(fields(i));
    // Yield now and then, as a server between requests does, so timed flushes run.
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  north.ctx.log.flush();
  const appendS = (performance.now() - t0) / 1000;
  const appendsPerS = APPENDS / appendS;

  // Let the shipper clear the burst, so latency is measured in steady state.
  while ((north.ctx.logStore.latestCosignature()?.size ?? 0) < north.ctx.log.size) await new Promise((r) => setTimeout(r, 50));
  // 4. Append to cosigned checkpoint, through the real shipping job (default: every second).
  const latencies: number[] = [];
  for (let k = 0; k < 5; k++) {
    await new Promise((r) => setTimeout(r, 137 * k));
    const t = performance.now();
    const idx = north.ctx.log.append(fields(k));
    while ((north.ctx.logStore.latestCosignature()?.size ?? 0) <= idx) await new Promise((r) => setTimeout(r, 5));
    latencies.push((performance.now() - t) / 1000);
  }
  const cosignS = latencies.sort((a, b) => a - b)[Math.floor(latencies.length / 2)]!;

  report(
    'Access logs: appends, offline verification, proofs, witnessing',
    [
      ['durable appends per second (serving path, group commit)', fmt(appendsPerS)],
      [`bare SHA-256 over ${fmt(ENTRIES)} leaves (createHash per leaf), entries/s`, fmt(sha)],
      [`bare SHA-256 over ${fmt(ENTRIES)} leaves (one-shot crypto.hash per leaf), entries/s`, fmt(oneShot)],
      ['full offline verification (leaves, chain, tree, signatures), entries/s', fmt(ver)],
      ['verify_ratio (verification / createHash per leaf)', fmt(ver / sha, 3)],
      ['verify_ratio_oneshot (verification / crypto.hash per leaf)', fmt(ver / oneShot, 3)],
      [`inclusion proofs verified per second (size ${fmt(size)}, ${proofs[0]!.proof.length} hashes)`, fmt(proofsPerS)],
      ['append to cosigned checkpoint, median of 5, s', fmt(cosignS, 3)],
      ['append to cosigned checkpoint, worst of 5, s', fmt(latencies[latencies.length - 1]!, 3)],
    ],
    {
      appends_per_s: Math.round(appendsPerS),
      verify_entries_per_s: Math.round(ver),
      sha256_entries_per_s: Math.round(sha),
      sha256_oneshot_entries_per_s: Math.round(oneShot),
      verify_ratio: Number((ver / sha).toFixed(3)),
      verify_ratio_oneshot: Number((ver / oneShot).toFixed(3)),
      proof_verifies_per_s: Math.round(proofsPerS),
      cosign_latency_s: Number(cosignS.toFixed(3)),
      entries: ENTRIES,
    },
  );
} finally {
  await north.close();
  await main.close();
  rmSync(dir, { recursive: true, force: true });
}
