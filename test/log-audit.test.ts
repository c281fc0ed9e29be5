import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { keysFromJwks, readBundleFile, verifyBundle, type AuditReason, type VerifyOptions } from '../common/logchain/audit.js';
import { formatCheckpoint, logOrigin, parseCheckpoint, parseNote, rawPublicKey, signNote, witnessName } from '../common/logchain/note.js';
import { loadKeyring } from '../common/keys/keystore.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { startNetwork, TEST_TOKEN, type TestNetwork } from './helpers/network.js';
import { runCli } from './helpers/cli.js';
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
  let keys: VerifyOptions;
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
    const [northJwks, mainJwks] = await Promise.all([north.url, net.main.url].map(async (u) => (await fetch(`${u}/.well-known/jwks.json`)).json()));
    keys = { trust: { sites: { north: keysFromJwks([northJwks]) }, witnesses: { main: keysFromJwks([mainJwks]) }, source: 'pinned' } };
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

  it('refuses a bundle checked against keys that did not sign it (unknown key), refuses without keys, and warns loudly when told to trust the bundle keys', () => {
    const stranger = keysFromJwks([{ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] }]);
    const r = verifyBundle(bundle, { trust: { sites: { north: stranger }, witnesses: keys.trust!.witnesses, source: 'pinned' } });
    assert.equal(r.reason, 'unknown_key');
    assert.equal(verifyBundle(bundle, {}).reason, 'unknown_key');
    const w = verifyBundle(bundle, { trustBundleKeys: true });
    assert.equal(w.ok, true);
    assert.match(w.warnings[0]!, /trust-bundle-keys.*NOT that the site signed it/);
    assert.equal(verifyBundle('not json\n', keys).reason, 'malformed_bundle');
    assert.equal(verifyBundle(lines[0] + '\n' + lines.slice(firstEntry).join('\n'), keys).reason, 'no_checkpoint');
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
    // Checkpoints signed by north alone (no witness in this test): allowed explicitly.
    const keys: VerifyOptions = { trust: { sites: { north: [jwk.x] }, witnesses: {}, source: 'pinned' }, allowUncosigned: true };
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

describe('audit verify: keys bound to roles and sites, forged bundles refused with distinct exit codes', function () {
  this.timeout(120000);
  let net: TestNetwork;
  let dir: string;
  let genuine: string;
  type Signer = { name: string; key: import('node:crypto').KeyObject; publicRaw: Buffer };
  const signers: Record<string, { key: import('node:crypto').KeyObject; x: string }> = {};
  let trust: VerifyOptions;
  /** The auditor's pinned keys, one JWKS file per site, bound to their roles. */
  let pinned: string[];

  const as = (site: string, name: string): Signer => ({ name, key: signers[site]!.key, publicRaw: rawPublicKey(signers[site]!.x) });

  /** A bundle built from scratch: entries naming `entrySite`, one checkpoint over all of them signed by `signer`, cosigned by `cosigners`. */
  async function forge(o: { count: number; entrySite?: (i: number) => string; signer: Signer; cosigners: Signer[]; extra?: number }): Promise<string> {
    const { encodeEntry, entryLeaf, ZERO_HASH } = await import('../common/logchain/entry.js');
    const { MerkleTree } = await import('../common/logchain/merkle.js');
    const { cosign } = await import('../common/logchain/note.js');
    const { fakeView } = await import('./helpers/log-bundle.js');
    const tree = new MerkleTree();
    const ls: string[] = [];
    let prev = ZERO_HASH;
    for (let i = 0; i < o.count + (o.extra ?? 0); i++) {
      const line = encodeEntry(prev, i, { ...fakeView('north', i), site: o.entrySite?.(i) ?? 'north', path: `/invented-${i}` });
      const leaf = entryLeaf(line);
      tree.append(leaf);
      prev = leaf.toString('hex');
      ls.push(line);
    }
    const body = formatCheckpoint({ origin: logOrigin('north'), size: o.count, root: tree.root(o.count), time: new Date().toISOString() });
    const cp = JSON.stringify({ checkpoint: signNote(body, o.signer), cosignatures: o.cosigners.map((c) => cosign(body, c)) });
    const header = JSON.stringify({ bundle: 'tieup-audit', version: 1, site: 'north', origin: logOrigin('north'), exportedAt: new Date().toISOString(), range: null, keys: [] });
    return [header, cp, ...ls].join('\n') + '\n';
  }

  async function verifyFile(name: string, text: string, extra: string[] = pinned) {
    const f = join(dir, name);
    writeFileSync(f, text);
    return runCli(['audit', 'verify', f, ...extra]);
  }

  before(async () => {
    net = await startNetwork(['north', 'south'], { logCheckpointEntries: 50 });
    dir = join(net.dir, 'auditor');
    mkdirSync(dir);
    const north = net.partners.north!;
    appendViews(north.ctx, 120);
    assert.equal((await shipLog(north.ctx, north.ctx.logStore)).acceptedSize, 120);
    genuine = await fetchBundle(net.main.url, 'north');
    const sites = { main: net.main, north, south: net.partners.south! };
    const xs: Record<string, string[]> = {};
    for (const [id, s] of Object.entries(sites)) {
      const kr = await loadKeyring(join(net.dir, 'keys'), id);
      signers[id] = { key: kr.current.privateKey, x: kr.current.publicJwk.x };
      const jwks = await (await fetch(`${s.url}/.well-known/jwks.json`)).text();
      writeFileSync(join(dir, `${id}-jwks.json`), jwks);
      xs[id] = keysFromJwks([JSON.parse(jwks)]);
    }
    trust = { trust: { sites: { north: xs.north!, south: xs.south! }, witnesses: { main: xs.main! }, source: 'pinned' } };
    pinned = ['--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--site-keys', `south=${join(dir, 'south-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`];
  });
  after(() => net.close());

  it('a genuine export verifies with keys bound to site and witness (flags or a trust file); --keys, no keys, or one key in two roles are refused', async () => {
    const r = verifyBundle(genuine, trust);
    assert.equal(r.ok, true, r.message);
    assert.equal(r.summary.verifiedSize, 120);
    assert.equal(r.warnings.length, 0);
    const ok = await verifyFile('genuine.jsonl', genuine);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^ok: 120 entries/);
    writeFileSync(join(dir, 'trust.json'), JSON.stringify({ sites: { north: 'north-jwks.json' }, witnesses: { main: 'main-jwks.json' } }));
    assert.equal((await verifyFile('genuine.jsonl', genuine, ['--trust', join(dir, 'trust.json')])).code, 0);
    // The old flag said nothing about whose key is whose: refused with what to use instead.
    const old = await verifyFile('genuine.jsonl', genuine, ['--keys', join(dir, 'north-jwks.json'), '--keys', join(dir, 'main-jwks.json')]);
    assert.equal(old.code, 2);
    assert.match(old.stderr, /--site-keys north=.*--witness-keys main=/);
    const none = await verifyFile('genuine.jsonl', genuine, []);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no keys were given/);
    // Bundle keys only when told, and then loudly.
    const own = await verifyFile('genuine.jsonl', genuine, ['--trust-bundle-keys']);
    assert.equal(own.code, 0);
    assert.match(own.stderr, /WARNING: --trust-bundle-keys/);
    // One key can never be both the log's signer and its witness.
    const twice = await verifyFile('genuine.jsonl', genuine, ['--site-keys', `north=${join(dir, 'main-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /one key .* can never both sign a log and witness it/);
    const same = { sites: { north: trust.trust!.witnesses.main! }, witnesses: { main: trust.trust!.witnesses.main! }, source: 'pinned' as const };
    assert.equal(verifyBundle(genuine, { trust: same }).reason, 'role_conflict');
  });

  it('invented entries for north, signed and cosigned by the main site key alone: signed_by_witness, exit 19', async () => {
    const text = await forge({ count: 30, signer: as('main', logOrigin('north')), cosigners: [as('main', witnessName('main'))] });
    assert.equal(verifyBundle(text, trust).reason, 'signed_by_witness');
    const r = await verifyFile('invented.jsonl', text);
    assert.equal(r.code, 19, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /^ok/m);
    // Even trusting the bundle's own declared keys cannot make one key both signer and witness.
    const lines = text.split('\n');
    const header = JSON.parse(lines[0]!);
    header.keys = [
      { name: logOrigin('north'), role: 'log', site: 'north', thumbprint: '', jwk: { kty: 'OKP', crv: 'Ed25519', x: signers.main!.x } },
      { name: witnessName('main'), role: 'witness', site: 'main', thumbprint: '', jwk: { kty: 'OKP', crv: 'Ed25519', x: signers.main!.x } },
    ];
    lines[0] = JSON.stringify(header);
    assert.equal(verifyBundle(lines.join('\n'), { trustBundleKeys: true }).reason, 'role_conflict');
    assert.equal((await verifyFile('invented-keys.jsonl', lines.join('\n'), ['--trust-bundle-keys'])).code, 25);
  });

  it("a forked north history cosigned by north's own key: cosigner_not_witness, exit 21", async () => {
    const text = await forge({ count: 30, signer: as('north', logOrigin('north')), cosigners: [as('north', witnessName('main'))] });
    assert.equal(verifyBundle(text, trust).reason, 'cosigner_not_witness');
    const r = await verifyFile('self-cosigned.jsonl', text);
    assert.equal(r.code, 21, r.stdout + r.stderr);
    assert.match(r.stderr, /a log cannot witness itself/);
  });

  it('a north log whose entries say site south: foreign_entry naming the entry, exit 22 (also above the parallel threshold)', async () => {
    const text = await forge({ count: 30, entrySite: (i) => (i === 17 ? 'south' : 'north'), signer: as('north', logOrigin('north')), cosigners: [as('main', witnessName('main'))] });
    const v = verifyBundle(text, trust);
    assert.equal(v.reason, 'foreign_entry');
    assert.equal(v.at, 'entry 17');
    const r = await verifyFile('foreign.jsonl', text);
    assert.equal(r.code, 22, r.stdout + r.stderr);
    assert.match(r.stderr, /entry 17 names site "south"/);
    // Big enough for the worker thread to take the second half: the foreign entry is in its half.
    const big = await forge({ count: 60_000, entrySite: (i) => (i === 55_555 ? 'south' : 'north'), signer: as('north', logOrigin('north')), cosigners: [as('main', witnessName('main'))] });
    const bv = verifyBundle(Buffer.from(big), trust);
    assert.equal(bv.reason, 'foreign_entry');
    assert.equal(bv.at, 'entry 55555');
    // A quote inside the time cannot make the site check read the wrong bytes.
    const sneaky = text.replace(/"time":"([^"]*)","site":"south"/, '"time":"$1\\",\\"site\\":\\"north","site":"south"');
    assert.notEqual(sneaky, text);
    assert.ok(['foreign_entry', 'altered_entry'].includes(verifyBundle(sneaky, trust).reason!));
  });

  it("north's log signed by south's key: signed_by_other_site, exit 20 (unknown_key, 16, when south's keys were not given)", async () => {
    const text = await forge({ count: 30, signer: as('south', logOrigin('north')), cosigners: [as('main', witnessName('main'))] });
    assert.equal(verifyBundle(text, trust).reason, 'signed_by_other_site');
    const r = await verifyFile('south-signed.jsonl', text);
    assert.equal(r.code, 20, r.stdout + r.stderr);
    const northOnly = await verifyFile('south-signed.jsonl', text, ['--site-keys', `north=${join(dir, 'north-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`]);
    assert.equal(northOnly.code, 16);
  });

  it('a bundle with no cosignature: uncosigned, exit 23; --allow-uncosigned verifies it with a warning', async () => {
    const stripped = genuine
      .split('\n')
      .map((l) => (l.startsWith('{"checkpoint"') ? JSON.stringify({ ...JSON.parse(l), cosignatures: [] }) : l))
      .join('\n');
    assert.equal(verifyBundle(stripped, trust).reason, 'uncosigned');
    const r = await verifyFile('uncosigned.jsonl', stripped);
    assert.equal(r.code, 23, r.stdout + r.stderr);
    const allowed = await verifyFile('uncosigned.jsonl', stripped, [...pinned, '--allow-uncosigned']);
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.match(allowed.stderr, /WARNING: --allow-uncosigned/);
  });

  it('entries after the last cosigned checkpoint: reported unverified, excluded from every count, exit 24, never "ok"', async () => {
    // Real entries past the witnessed size, chained to the exported ones, with a checkpoint north signed but nobody cosigned.
    const north = net.partners.north!;
    appendViews(north.ctx, 7);
    const tail = north.ctx.logStore.lines(120, 127);
    assert.equal(tail.length, 7);
    const ls = genuine.trimEnd().split('\n');
    const first = ls.findIndex((l) => l.startsWith('{"v":1'));
    const { entryLeaf } = await import('../common/logchain/entry.js');
    const { MerkleTree } = await import('../common/logchain/merkle.js');
    const tree = new MerkleTree();
    for (const l of [...ls.slice(first), ...tail]) tree.append(entryLeaf(l));
    const body = formatCheckpoint({ origin: logOrigin('north'), size: 127, root: tree.root(127), time: new Date().toISOString() });
    const cp = JSON.stringify({ checkpoint: signNote(body, as('north', logOrigin('north'))), cosignatures: [] });
    const withTail = [...ls, ...tail].join('\n') + '\n';
    const v = verifyBundle(withTail, trust);
    assert.equal(v.ok, false);
    assert.equal(v.reason, 'unverified_entries');
    assert.equal(v.summary.verifiedSize, 120);
    assert.equal(v.summary.entries, 120);
    assert.equal(v.summary.unverified, 7);
    assert.doesNotMatch(v.message, /^ok/);
    const r = await verifyFile('tail.jsonl', withTail);
    assert.equal(r.code, 24, r.stdout + r.stderr);
    assert.match(r.stdout, /^UNVERIFIED: 7 entries after the last cosigned checkpoint \(size 120\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /^ok/m);
    // A checkpoint signed by north alone does not make them verified by default; --allow-uncosigned does.
    const signedTail = [...ls.slice(0, first), cp, ...ls.slice(first), ...tail].join('\n') + '\n';
    const s = verifyBundle(signedTail, trust);
    assert.equal(s.reason, 'unverified_entries');
    assert.equal(s.summary.entries, 120);
    const a = verifyBundle(signedTail, { ...trust, allowUncosigned: true });
    assert.equal(a.ok, true, a.message);
    assert.equal(a.summary.entries, 127);
    assert.match(a.warnings.join('\n'), /--allow-uncosigned/);
  });

  it('audit latest: asks the witness for its latest cosigned checkpoint, verifies it, and says whether a bundle is the latest', async () => {
    // Whatever north logged so far is shipped first, so the export is the witness's latest.
    const north = net.partners.north!;
    await shipLog(north.ctx, north.ctx.logStore);
    const f = join(dir, 'latest.jsonl');
    writeFileSync(f, await fetchBundle(net.main.url, 'north'));
    const env = { TIEUP_TOKEN: TEST_TOKEN };
    const fresh = await runCli(['audit', 'latest', '--site', 'north', '--bundle', f, '--url', net.main.url, ...pinned], env);
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    const size = Number(/fresh: the bundle verifies up to size (\d+)/.exec(fresh.stdout)?.[1]);
    assert.ok(size >= 120, fresh.stdout);
    appendViews(north.ctx, 5);
    assert.ok((await shipLog(north.ctx, north.ctx.logStore)).acceptedSize > size);
    const stale = await runCli(['audit', 'latest', '--site', 'north', '--bundle', f, '--url', net.main.url, ...pinned], env);
    assert.equal(stale.code, 26, stale.stdout + stale.stderr);
    assert.match(stale.stderr, /STALE/);
    // The witness's answer is checked with the pinned keys too: under a wrong key for north it does not verify.
    const wrong = await runCli(
      ['audit', 'latest', '--site', 'north', '--url', net.main.url, '--site-keys', `north=${join(dir, 'south-jwks.json')}`, '--witness-keys', `main=${join(dir, 'main-jwks.json')}`],
      env,
    );
    assert.equal(wrong.code, 16, wrong.stdout + wrong.stderr);
  });
});
