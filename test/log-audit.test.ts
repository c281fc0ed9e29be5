import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { keysFromJwks, readBundleFile, verifyBundle, type AuditReason, type VerifyKey } from '../common/logchain/audit.js';
import { formatCheckpoint, logOrigin, parseCheckpoint, parseNote, rawPublicKey, signNote } from '../common/logchain/note.js';
import { loadKeyring } from '../common/keys/keystore.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { appendViews, fetchBundle } from './helpers/log-bundle.js';

/** A small seeded generator, so a failing case can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('audit bundles: a 10,000-entry log, tampered every way at random places', function () {
  this.timeout(180000);
  let net: TestNetwork;
  let bundle: string;
  let keys: VerifyKey[];
  let lines: string[];
  let firstEntry: number;
  let checkpointLines: number[];

  before(async () => {
    net = await startNetwork(['north'], { logShipBatch: 2500, logCheckpointEntries: 1000 });
    const north = net.partners.north!;
    appendViews(north.ctx, 10000);
    const shipped = await shipLog(north.ctx, north.ctx.logStore);
    assert.equal(shipped.acceptedSize, 10000, shipped.error);
    bundle = await fetchBundle(net.main.url, 'north');
    const jwks = await Promise.all([north.url, net.main.url].map(async (u) => (await fetch(`${u}/.well-known/jwks.json`)).json()));
    keys = keysFromJwks(jwks);
    lines = bundle.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    firstEntry = lines.findIndex((l) => l.startsWith('{"v":1'));
    checkpointLines = lines.map((l, i) => (l.startsWith('{"checkpoint"') ? i : -1)).filter((i) => i >= 0);
  });
  after(() => net.close());

  it('verifies the untampered bundle with keys fetched from the two JWKS endpoints', () => {
    const r = verifyBundle(bundle, keys);
    assert.equal(r.ok, true, r.message);
    assert.equal(r.summary.entries, 10000);
    assert.equal(r.summary.largestCosignedSize, 10000);
    assert.equal(r.warnings.length, 0);
  });

  it('exports a time range with the rest as leaf hashes, and it still verifies', async () => {
    const from = new Date(Date.UTC(2026, 10, 1) + 2000 * 1000).toISOString();
    const to = new Date(Date.UTC(2026, 10, 1) + 3000 * 1000).toISOString();
    const ranged = await fetchBundle(net.main.url, 'north', `?from=${from}&to=${to}`);
    const r = verifyBundle(ranged, keys);
    assert.equal(r.ok, true, r.message);
    assert.equal(r.summary.entries, 1000);
    assert.equal(r.summary.placeholders, 9000);
  });

  it('detects every tampering, with its own reason and the first bad entry, in at least 1,000 random cases, and never crashes', () => {
    const rand = rng(20261121);
    const pick = (n: number) => Math.floor(rand() * n);
    const entryCount = lines.length - firstEntry;
    const cases: { kind: string; expect: AuditReason[]; lines: string[]; at?: string }[] = [];
    const total = 1020;
    const northKey = loadKeyringSync();
    for (let c = 0; c < total; c++) {
      const ls = [...lines];
      const kind = ['alter', 'delete', 'swap', 'cut', 'checkpoint', 'cosignature', 'fork'][c % 7]!;
      if (kind === 'alter') {
        const li = firstEntry + pick(entryCount);
        const line = ls[li]!;
        const pos = pick(line.length);
        const ch = line[pos]!;
        const repl = ch === 'a' ? 'b' : ch === '0' ? '1' : ch === '"' ? "'" : 'a';
        ls[li] = line.slice(0, pos) + repl + line.slice(pos + 1);
        // The last entry has no successor to break the chain of: its checkpoint's root names it.
        cases.push({ kind, expect: ['altered_entry'], lines: ls, ...(li < lines.length - 1 ? { at: `entry ${li - firstEntry}` } : {}) });
      } else if (kind === 'delete') {
        const li = firstEntry + pick(entryCount - 1);
        ls.splice(li, 1);
        cases.push({ kind, expect: ['missing_entry'], lines: ls, at: `entry ${li - firstEntry}` });
      } else if (kind === 'swap') {
        const a = firstEntry + pick(entryCount);
        let b = firstEntry + pick(entryCount);
        if (b === a) b = a === lines.length - 1 ? a - 1 : a + 1;
        [ls[a], ls[b]] = [ls[b]!, ls[a]!];
        cases.push({ kind, expect: ['reordered_entries'], lines: ls, at: `entry ${Math.min(a, b) - firstEntry}` });
      } else if (kind === 'cut') {
        ls.length -= 1 + pick(entryCount - 1);
        cases.push({ kind, expect: ['truncated'], lines: ls });
      } else if (kind === 'checkpoint') {
        const li = checkpointLines[pick(checkpointLines.length)]!;
        const rec = JSON.parse(ls[li]!) as { checkpoint: string; cosignatures: string[] };
        const body = rec.checkpoint.split('\n\n')[0]!;
        const pos = pick(body.length);
        const ch = body[pos]!;
        rec.checkpoint = body.slice(0, pos) + (ch === 'A' ? 'B' : 'A') + body.slice(pos + 1) + rec.checkpoint.slice(body.length);
        ls[li] = JSON.stringify(rec);
        cases.push({ kind, expect: ['bad_signature'], lines: ls });
      } else if (kind === 'cosignature') {
        const li = checkpointLines[pick(checkpointLines.length)]!;
        const rec = JSON.parse(ls[li]!) as { checkpoint: string; cosignatures: string[] };
        const cos = rec.cosignatures[0]!;
        const b64start = cos.lastIndexOf(' ') + 1;
        const raw = Buffer.from(cos.slice(b64start), 'base64');
        raw[pick(raw.length)]! ^= 1 << pick(8);
        rec.cosignatures[0] = cos.slice(0, b64start) + raw.toString('base64');
        ls[li] = JSON.stringify(rec);
        cases.push({ kind, expect: ['bad_signature', 'unknown_key'], lines: ls });
      } else {
        // A second checkpoint, validly signed by the partner, of an existing size with another root.
        const li = checkpointLines[pick(checkpointLines.length)]!;
        const rec = JSON.parse(ls[li]!) as { checkpoint: string; cosignatures: string[] };
        const cp = parseCheckpoint(parseNote(rec.checkpoint)!.body)!;
        const root = Buffer.from(cp.root);
        root[pick(32)]! ^= 1;
        const forged = signNote(formatCheckpoint({ ...cp, root }), { name: logOrigin('north'), key: northKey.key, publicRaw: northKey.raw });
        ls.splice(li + 1, 0, JSON.stringify({ checkpoint: forged, cosignatures: [] }));
        cases.push({ kind, expect: ['fork'], lines: ls });
      }
    }
    const counts: Record<string, number> = {};
    for (const c of cases) {
      let r;
      try {
        r = verifyBundle(c.lines.join('\n') + '\n', keys);
      } catch (err) {
        assert.fail(`verify crashed on a ${c.kind} case: ${(err as Error).message}`);
      }
      assert.equal(r.ok, false, `a ${c.kind} case was not detected`);
      assert.ok(c.expect.includes(r.reason!), `a ${c.kind} case gave ${r.reason} (${r.message}), expected ${c.expect.join(' or ')}`);
      // The first bad entry is named exactly, wherever the fast pass first noticed it.
      if (c.at) assert.equal(r.at, c.at, `a ${c.kind} case named ${r.at} (${r.message})`);
      counts[c.kind] = (counts[c.kind] ?? 0) + 1;
    }
    assert.ok(cases.length >= 1000);
    assert.equal(Object.keys(counts).length, 7);
  });

  it('refuses a bundle checked against keys that did not sign it (unknown key), and warns without keys', () => {
    const r = verifyBundle(bundle, keysFromJwks([{ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] }]));
    assert.equal(r.reason, 'unknown_key');
    const w = verifyBundle(bundle);
    assert.equal(w.ok, true);
    assert.match(w.warnings[0]!, /not independently pinned/);
    assert.equal(verifyBundle('not json\n').reason, 'malformed_bundle');
    assert.equal(verifyBundle(lines[0] + '\n' + lines.slice(firstEntry).join('\n')).reason, 'no_checkpoint');
  });

  function loadKeyringSync() {
    const kr = keyringCache!;
    return { key: kr.current.privateKey, raw: rawPublicKey(kr.current.publicJwk.x) };
  }
  let keyringCache: Awaited<ReturnType<typeof loadKeyring>> | undefined;
  before(async () => {
    keyringCache = await loadKeyring(join(net.dir, 'keys'), 'north');
  });
});

describe('audit bundles above the parallel threshold (two worker threads)', function () {
  this.timeout(120000);
  it('verifies 150,000 entries, and still names each tampering exactly (the parallel pass falls back to the sequential one)', async () => {
    const { encodeEntry, entryLeaf, ZERO_HASH } = await import('../common/logchain/entry.js');
    const { MerkleTree } = await import('../common/logchain/merkle.js');
    const { generateEd25519Jwk, importEd25519 } = await import('../common/keys/jwk.js');
    const { fakeView } = await import('./helpers/log-bundle.js');
    const jwk = await generateEd25519Jwk();
    const signer = { name: logOrigin('north'), key: importEd25519(jwk), publicRaw: rawPublicKey(jwk.x) };
    const n = 150_000;
    const tree = new MerkleTree();
    const lines: string[] = [];
    let prev = ZERO_HASH;
    for (let i = 0; i < n; i++) {
      const line = encodeEntry(prev, i, fakeView('north', i));
      const leaf = entryLeaf(line);
      tree.append(leaf);
      prev = leaf.toString('hex');
      lines.push(line);
    }
    const cps = [50_000, 75_001, 100_000, 149_999, n].map((size, k) =>
      JSON.stringify({
        checkpoint: signNote(formatCheckpoint({ origin: logOrigin('north'), size, root: tree.root(size), time: new Date(Date.UTC(2026, 10, 1, 0, k)).toISOString() }), signer),
        cosignatures: [],
      }),
    );
    const header = JSON.stringify({ bundle: 'tieup-audit', version: 1, site: 'north', origin: logOrigin('north'), exportedAt: new Date().toISOString(), range: null, keys: [] });
    const keys = [{ x: jwk.x }];
    const build = (ls: string[]) => Buffer.from([header, ...cps, ...ls].join('\n') + '\n');
    const ok = verifyBundle(build(lines), keys);
    assert.equal(ok.ok, true, ok.message);
    assert.equal(ok.summary.entries, n);
    assert.equal(ok.summary.root, tree.root(n).toString('hex'));
    const altered = [...lines];
    altered[120_000] = altered[120_000]!.replace('"status":200', '"status":201');
    assert.equal(verifyBundle(build(altered), keys).reason, 'altered_entry');
    // The tree built by two threads is the one built entry by entry: same proofs at odd sizes.
    assert.deepEqual(ok.tree!.inclusionProof(77_777, 149_999), tree.inclusionProof(77_777, 149_999));
    assert.deepEqual(ok.tree!.consistencyProof(75_001, n), tree.consistencyProof(75_001, n));
    // The halves split at the line after the middle byte of the entries: tamper right there.
    const text = build(lines).toString('latin1');
    const from = text.indexOf('{"v":1');
    const middle = from + Math.floor((text.length - from) / 2);
    let seamAt = 0;
    for (let at = from; at <= middle; seamAt++) at += lines[seamAt]!.length + 1;
    for (const k of [seamAt - 1, seamAt, seamAt + 1]) {
      const relinked = [...lines];
      relinked[k] = relinked[k]!.slice(0, 15) + 'f'.repeat(64) + relinked[k]!.slice(79);
      const r = verifyBundle(build(relinked), keys);
      assert.equal(r.reason, 'altered_entry', `link of entry ${k}`);
      assert.equal(r.at, `entry ${k}`);
      const edited = [...lines];
      edited[k] = edited[k]!.replace('"status":200', '"status":404');
      const re = verifyBundle(build(edited), keys);
      assert.equal(re.reason, 'altered_entry', `entry ${k} edited`);
      assert.equal(re.at, `entry ${k}`);
      const missing = [...lines];
      missing.splice(k, 1);
      assert.equal(verifyBundle(build(missing), keys).reason, 'missing_entry', `entry ${k} deleted`);
      const swappedHere = [...lines];
      [swappedHere[k - 1], swappedHere[k]] = [swappedHere[k]!, swappedHere[k - 1]!];
      assert.equal(verifyBundle(build(swappedHere), keys).reason, 'reordered_entries', `entries ${k - 1} and ${k} swapped`);
    }
    // Leaf placeholders (an exported time range) on both threads, across the seam.
    const ranged = lines.map((l, i) => (i < 40_000 || (i >= seamAt - 5 && i < seamAt + 5) || i >= n - 20_000 ? JSON.stringify({ index: i, leaf: tree.leaf(i).toString('hex') }) : l));
    const rr = verifyBundle(build(ranged), keys);
    assert.equal(rr.ok, true, rr.message);
    assert.equal(rr.summary.placeholders, 60_010);
    assert.equal(rr.summary.entries, n - 60_010);
    assert.equal(rr.summary.root, tree.root(n).toString('hex'));
    // The caller's bytes are given back unchanged (hashing borrows each newline for a moment).
    const original = build(lines);
    const before = Buffer.from(original);
    verifyBundle(original, keys);
    assert.ok(original.equals(before));
    // As the CLI reads it: the file straight into shared memory, which the worker reads without a copy.
    const tmp = mkdtempSync(join(tmpdir(), 'tieup-audit-'));
    try {
      const file = join(tmp, 'north.jsonl');
      writeFileSync(file, build(lines));
      const shared = readBundleFile(file);
      assert.ok(shared.buffer instanceof SharedArrayBuffer);
      const fromFile = verifyBundle(shared, keys);
      assert.equal(fromFile.ok, true, fromFile.message);
      assert.equal(fromFile.summary.root, tree.root(n).toString('hex'));
      assert.ok(shared.equals(readFileSync(file)), 'the shared bytes are given back unchanged');
      writeFileSync(file, build(altered));
      assert.equal(verifyBundle(readBundleFile(file), keys).reason, 'altered_entry');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const swapped = [...lines];
    [swapped[10], swapped[140_000]] = [swapped[140_000]!, swapped[10]!];
    assert.equal(verifyBundle(build(swapped), keys).reason, 'reordered_entries');
    assert.equal(verifyBundle(build(lines.slice(0, 120_000)), keys).reason, 'truncated');
  });
});
