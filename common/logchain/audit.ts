import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { calculateJwkThumbprint } from 'jose';
import { PREV_END, PREV_START, ZERO_HASH } from './entry.js';
import { leafHash, MerkleTree } from './merkle.js';
import { DONE, hashNode, hashRange, isPlaceholderAt, lineAt, linksTo, MIN_LINE_BYTES, scanLines, STARTED, v1IndexAt, type Lines } from './verify-range.js';
import { checkCosignature, checkNoteSignature, parseCheckpoint, parseNote, rawPublicKey, type ParsedNote } from './note.js';

/**
 * The audit bundle is JSON Lines, readable text:
 *   1. a header: {"bundle":"tieup-audit","version":1,"site","origin","exportedAt","range","keys":[...],"contracts":[...]}
 *   2. checkpoints, by size: {"checkpoint":"<signed note>","cosignatures":["— name base64", ...]}
 *   3. entries, by index: each the exact canonical line that was hashed, or, outside an
 *      exported time range, {"index":n,"leaf":"<hex>"} so every root can still be recomputed.
 * Checkpoints come before entries so that cutting the file's tail removes entries,
 * which the verifier then finds missing below a signed size.
 */
export interface BundleKey {
  name: string;
  role: 'log' | 'witness';
  site: string;
  thumbprint: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

export interface BundleHeader {
  bundle: 'tieup-audit';
  version: 1;
  site: string;
  origin: string;
  exportedAt: string;
  range: { from: string | null; to: string | null } | null;
  keys: BundleKey[];
  contracts?: unknown[];
}

export type AuditReason = 'malformed_bundle' | 'altered_entry' | 'missing_entry' | 'reordered_entries' | 'truncated' | 'fork' | 'bad_signature' | 'unknown_key' | 'no_checkpoint';

/** Distinct exit codes for the CLI, one per reason. */
export const EXIT_CODES: Record<AuditReason, number> = {
  altered_entry: 10,
  missing_entry: 11,
  reordered_entries: 12,
  truncated: 13,
  fork: 14,
  bad_signature: 15,
  unknown_key: 16,
  no_checkpoint: 17,
  malformed_bundle: 18,
};

export interface AuditSummary {
  site: string;
  entries: number;
  placeholders: number;
  checkpoints: number;
  cosignatures: number;
  largestSignedSize: number;
  largestCosignedSize: number;
  root: string | null;
}

export interface AuditResult {
  ok: boolean;
  reason?: AuditReason;
  /** The first bad entry ("entry 41") or checkpoint ("checkpoint of size 2048"). */
  at?: string;
  message: string;
  warnings: string[];
  summary: AuditSummary;
  /** The verified leaves, for proofs (only when ok). */
  tree?: MerkleTree;
  checkpoints?: { size: number; root: Buffer; time: string; cosigned: boolean }[];
}

export interface VerifyKey {
  x: string;
  /** Restrict to a role; unset keys are tried for both log signatures and cosignatures. */
  role?: 'log' | 'witness';
}

class Fail extends Error {
  constructor(
    readonly reason: AuditReason,
    readonly at: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Keys from JWKS documents (e.g. the two sites' /.well-known/jwks.json), independent of the bundle. */
export function keysFromJwks(docs: unknown[]): VerifyKey[] {
  const out: VerifyKey[] = [];
  for (const d of docs) {
    const keys = (d as { keys?: unknown[] })?.keys ?? [d];
    for (const k of keys) {
      const j = k as { kty?: string; crv?: string; x?: string };
      if (j?.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.x === 'string') out.push({ x: j.x });
    }
  }
  return out;
}

export async function thumbprintOf(x: string): Promise<string> {
  return calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256');
}

/**
 * Reads a bundle file into shared memory, so that the worker thread verifying
 * the second half of a large bundle reads the same bytes without a copy.
 */
export function readBundleFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.from(new SharedArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const n = readSync(fd, buf, at, size - at, null);
      if (n === 0) break;
      at += n;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * Verifies a bundle offline. With `keys`, every signature must be by one of
 * them; without, the bundle's own keys are used and a warning says they were
 * not independently pinned.
 */
export function verifyBundle(input: string | Buffer, keys?: VerifyKey[]): AuditResult {
  const warnings: string[] = [];
  const summary: AuditSummary = { site: '', entries: 0, placeholders: 0, checkpoints: 0, cosignatures: 0, largestSignedSize: 0, largestCosignedSize: 0, root: null };
  try {
    // The bytes are borrowed: hashing overwrites each line's newline for a moment and puts it back.
    const buf = typeof input === 'string' ? Buffer.from(input) : input;
    const head: { start: number; end: number; next: number }[] = [];
    const lines = {
      /** Line i of the header and checkpoint lines, read on demand. */
      at(i: number): { start: number; end: number } | undefined {
        while (head.length <= i) {
          const start = head.length ? head[head.length - 1]!.next : 0;
          if (start >= buf.length) return undefined;
          head.push({ start, ...lineAt(buf, start) });
        }
        return head[i];
      },
      text(i: number): string {
        const l = this.at(i);
        return l ? buf.toString('utf8', l.start, l.end) : '';
      },
    };
    let header: BundleHeader;
    try {
      header = JSON.parse(lines.text(0)) as BundleHeader;
    } catch {
      throw new Fail('malformed_bundle', 'line 1', 'the first line is not a bundle header');
    }
    if (header?.bundle !== 'tieup-audit' || header.version !== 1 || typeof header.origin !== 'string' || !Array.isArray(header.keys)) {
      throw new Fail('malformed_bundle', 'line 1', 'the first line is not a tieup-audit v1 header');
    }
    summary.site = header.site;
    let trusted = keys;
    if (!trusted || trusted.length === 0) {
      warnings.push("no keys were given: verified against the keys inside the bundle, which were not independently pinned; pass --keys with the sites' published JWKS");
      trusted = header.keys.map((k) => ({ x: k.jwk.x, role: k.role }));
    }
    const logKeys = trusted.filter((k) => k.role !== 'witness').map((k) => ({ name: header.origin, publicRaw: rawPublicKey(k.x) }));
    const witnessKeys = trusted.filter((k) => k.role !== 'log').map((k) => rawPublicKey(k.x));

    // Checkpoints.
    let li = 1;
    const cps: { size: number; root: Buffer; time: string; cosigned: boolean }[] = [];
    for (; lines.at(li); li++) {
      const { start } = lines.at(li)!;
      if (buf.toString('latin1', start, start + 13) !== '{"checkpoint"') break;
      const line = lines.text(li);
      let rec: { checkpoint?: unknown; cosignatures?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        throw new Fail('malformed_bundle', `line ${li + 1}`, 'a checkpoint line is not JSON');
      }
      const note = typeof rec.checkpoint === 'string' ? parseNote(rec.checkpoint) : null;
      const body = note ? parseCheckpoint(note.body) : null;
      const where = `checkpoint on line ${li + 1}${body ? ` (size ${body.size})` : ''}`;
      if (!note || !body) throw new Fail('bad_signature', where, 'the checkpoint is not a well-formed signed note');
      if (body.origin !== header.origin) throw new Fail('bad_signature', where, `the checkpoint is for ${body.origin}, the bundle for ${header.origin}`);
      checkLogSignature(note, logKeys, where);
      let cosigned = false;
      for (const c of Array.isArray(rec.cosignatures) ? rec.cosignatures : []) {
        if (typeof c !== 'string') throw new Fail('malformed_bundle', where, 'a cosignature is not a string');
        const name = c.slice(2).split(' ')[0] ?? '';
        const results = witnessKeys.map((pub) => checkCosignature(note.body, c, { name, publicRaw: pub }));
        if (results.some((r) => r.ok)) {
          cosigned = true;
          summary.cosignatures++;
        } else if (results.some((r) => !r.ok && r.reason === 'bad_signature')) {
          throw new Fail('bad_signature', where, `the cosignature by ${name} does not verify`);
        } else {
          throw new Fail('unknown_key', where, `the cosignature by ${name} is by a key that was not given`);
        }
      }
      cps.push({ size: body.size, root: body.root, time: body.time, cosigned });
    }
    if (cps.length === 0) throw new Fail('no_checkpoint', undefined, 'the bundle has no signed checkpoint, so nothing in it can be verified');
    for (let i = 1; i < cps.length; i++) {
      const a = cps[i - 1]!;
      const b = cps[i]!;
      if (a.size === b.size && !a.root.equals(b.root)) throw new Fail('fork', `checkpoint of size ${b.size}`, `two signed checkpoints of size ${b.size} with different roots`);
      if (b.size < a.size) throw new Fail('fork', `checkpoint of size ${b.size}`, 'checkpoint sizes go backwards');
      if (b.time < a.time) throw new Fail('fork', `checkpoint of size ${b.size}`, `checkpoint times go backwards (${b.time} after ${a.time})`);
    }
    summary.checkpoints = cps.length;
    summary.largestSignedSize = Math.max(...cps.map((c) => c.size));
    summary.largestCosignedSize = Math.max(0, ...cps.filter((c) => c.cosigned).map((c) => c.size));

    // Entries, straight from the bytes: the fast pass (on two threads for large
    // bundles) only tells good from bad; on bad, the careful pass names the first bad entry.
    const entriesFrom = lines.at(li)?.start ?? buf.length;
    const fast = fastTree(buf, entriesFrom, summary);
    const tree = fast instanceof MerkleTree ? fast : carefulTree(buf, entriesFrom, summary, fast);
    // Roots: every checkpoint within the bundle must match; the bundle must reach every signed size.
    for (const c of cps) {
      if (c.size > tree.size) {
        throw new Fail('truncated', `checkpoint of size ${c.size}`, `the bundle holds ${tree.size} entries but a ${c.cosigned ? 'cosigned' : 'signed'} checkpoint covers ${c.size}`);
      }
      if (!tree.root(c.size).equals(c.root)) {
        throw new Fail('altered_entry', `entries below ${c.size}`, `the entries do not hash to the root signed at size ${c.size}`);
      }
    }
    if (tree.size > summary.largestSignedSize) warnings.push(`${tree.size - summary.largestSignedSize} entries after the last checkpoint are not covered by any signature`);
    if (summary.largestCosignedSize === 0) warnings.push('no checkpoint is cosigned by a witness');
    summary.root = tree.size ? tree.root(summary.largestSignedSize).toString('hex') : null;
    return {
      ok: true,
      message: `ok: ${summary.entries} entries (${summary.placeholders} by hash only), ${summary.checkpoints} checkpoints, largest signed size ${summary.largestSignedSize}, largest cosigned size ${summary.largestCosignedSize}`,
      warnings,
      summary,
      tree,
      checkpoints: cps.map(({ size, root, time, cosigned }) => ({ size, root, time, cosigned })),
    };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, reason: err.reason, ...(err.at ? { at: err.at } : {}), message: err.message, warnings, summary };
    return { ok: false, reason: 'malformed_bundle', message: `the bundle could not be read: ${(err as Error).message}`, warnings, summary };
  }
}

function checkLogSignature(note: ParsedNote, keys: { name: string; publicRaw: Buffer }[], where: string): void {
  let sawBad = false;
  for (const k of keys) {
    const r = checkNoteSignature(note, k);
    if (r === 'ok') return;
    if (r === 'bad') sawBad = true;
  }
  if (sawBad) throw new Fail('bad_signature', where, 'the checkpoint signature does not verify');
  throw new Fail('unknown_key', where, 'the checkpoint is not signed by any key given');
}

function placeholder(line: string): { index: number; leaf: Buffer } | null {
  try {
    const r = JSON.parse(line) as { index?: unknown; leaf?: unknown };
    if (!Number.isSafeInteger(r.index) || typeof r.leaf !== 'string' || !/^[0-9a-f]{64}$/.test(r.leaf)) return null;
    return { index: r.index as number, leaf: Buffer.from(r.leaf, 'hex') };
  } catch {
    return null;
  }
}

/**
 * The careful pass, entry by entry, run when the fast pass found something
 * wrong: it names the first bad entry and why (altered, missing, reordered).
 */
function hashEntries(buf: Buffer, lines: Lines, summary: AuditSummary, from = 0, prevLeaf = ZERO_HASH): MerkleTree {
  const tree = new MerkleTree();
  let prevHex = prevLeaf;
  summary.entries = 0;
  summary.placeholders = 0;
  // Lines before `from` were checked by the fast pass; only counted here.
  for (let p = 0; p < from; p++) {
    const s = lines.starts[p]!;
    if (isPlaceholderAt(buf, s)) summary.placeholders++;
    else summary.entries++;
  }
  for (let p = from; p < lines.n; p++) {
    const s = lines.starts[p]!;
    const e = lines.ends[p]!;
    if (isPlaceholderAt(buf, s)) {
      // {"index":n,"leaf":"..."}: an entry outside the exported range, by hash only.
      const h = placeholder(buf.toString('utf8', s, e));
      if (!h || h.index !== p) throw positionFailure(buf, lines, p, h ? h.index : -1, false);
      tree.append(h.leaf);
      prevHex = h.leaf.toString('hex');
      summary.placeholders++;
      continue;
    }
    const index = v1IndexAt(buf, s, e);
    if (index < 0) throw new Fail('altered_entry', `entry ${p}`, 'the line is not a v1 log entry (its bytes were changed)');
    const chained = buf.toString('latin1', s + PREV_START, s + PREV_END) === prevHex;
    if (index !== p) throw positionFailure(buf, lines, p, index, chained);
    if (!chained) {
      // Either the previous entry was changed (its hash moved) or this one's link was.
      const here = leafOf(buf, s, e).toString('hex');
      const nextLinks =
        p + 1 < lines.n && v1IndexAt(buf, lines.starts[p + 1]!, lines.ends[p + 1]!) >= 0 && buf.toString('latin1', lines.starts[p + 1]! + PREV_START, lines.starts[p + 1]! + PREV_END) === here;
      const bad = nextLinks ? p - 1 : p;
      throw new Fail('altered_entry', `entry ${bad}`, `entry ${bad} does not match the hash chain`);
    }
    const leaf = leafOf(buf, s, e);
    tree.append(leaf);
    prevHex = leaf.toString('hex');
    summary.entries++;
  }
  return tree;
}

function leafOf(buf: Buffer, s: number, e: number): Buffer {
  return leafHash(buf.subarray(s, e));
}

/** An entry in the wrong place: altered (its index changed), reordered, or missing. */
function positionFailure(buf: Buffer, lines: Lines, p: number, found: number, chained: boolean): Fail {
  if (found < 0) return new Fail('altered_entry', `entry ${p}`, 'the line is neither an entry nor a leaf placeholder');
  if (chained) return new Fail('altered_entry', `entry ${p}`, `entry ${p} carries index ${found} but chains to entry ${p - 1}: its index was changed`);
  let later = false;
  for (let q = p + 1; q < lines.n && !later; q++) {
    const s = lines.starts[q]!;
    const e = lines.ends[q]!;
    const i = isPlaceholderAt(buf, s) ? (placeholder(buf.toString('utf8', s, e))?.index ?? -1) : v1IndexAt(buf, s, e);
    later = i === p;
  }
  if (found < p || later) return new Fail('reordered_entries', `entry ${p}`, `entry ${found} stands where entry ${p} belongs`);
  return new Fail('missing_entry', `entry ${p}`, `entry ${p} is missing (the next line is entry ${found})`);
}

/** Where the fast pass stopped trusting the entries: every line before `resumeAt` passed all its checks. */
interface FastFailure {
  resumeAt: number;
  leaves: Uint8Array;
}

/**
 * The careful pass, started where the fast pass found the first suspect line:
 * every line before it passed checks at least as strict as the careful ones, so
 * the careful pass from 0 would fail there too, for the same reason. Should it
 * not fail (a thread that never reported), it runs again from the start, and
 * that answer stands.
 */
function carefulTree(buf: Buffer, from: number, summary: AuditSummary, fast: FastFailure): MerkleTree {
  const lines = scanLines(buf, from, buf.length);
  const at = Math.min(fast.resumeAt, lines.n);
  if (at > 0) {
    hashEntries(buf, lines, summary, at, Buffer.from(fast.leaves.buffer, fast.leaves.byteOffset + (at - 1) * 32, 32).toString('hex'));
  }
  return hashEntries(buf, lines, summary);
}

/** From this many bytes of entries on (about 50,000 entries), a worker thread verifies the second half. */
const PARALLEL_FROM_BYTES = 16 * 1024 * 1024;
/** How long a worker may take to start before the calling thread gives up on it and verifies alone. */
const START_DEADLINE_MS = 60_000;

function waitWhile(st: Int32Array, value: number, deadline: number): number {
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return value;
    Atomics.wait(st, 0, value, Math.min(left, 1000));
    const now = Atomics.load(st, 0);
    if (now !== value) return now;
  }
}

/** Tree levels for up to `capacity` leaves; shared when a worker writes into them too. */
function allocLevels(capacity: number, shared: boolean): Uint8Array[] {
  const levels: Uint8Array[] = [];
  for (let k = 0; Math.floor(capacity / 2 ** k) >= 1; k++) {
    const bytes = Math.floor(capacity / 2 ** k) * 32;
    levels.push(new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)));
  }
  return levels;
}

/**
 * The fast pass: this thread takes the first half of the entry bytes and, for
 * a large bundle, a worker the second (split at a line boundary). Neither waits
 * for the other: the levels are sized for the most lines the second half could
 * hold (pages never written are never backed by memory), both hash straight
 * into them at global positions, and only the nodes over the seam (one per
 * level) are hashed here at the end. Returns null when anything at all is wrong.
 */
function fastTree(buf: Buffer, from: number, summary: AuditSummary): MerkleTree | FastFailure {
  const end = buf.length;
  let mid = end;
  if (end - from >= PARALLEL_FROM_BYTES) {
    const nl = buf.indexOf(10, from + Math.floor((end - from) / 2));
    mid = nl < 0 ? end : nl + 1;
  }
  if (mid >= end) {
    const lines = scanLines(buf, from, end);
    const levels = allocLevels(lines.n, false);
    const r = hashRange(buf, lines, 0, levels);
    if (!r.ok) return { resumeAt: r.checked, leaves: levels[0] ?? new Uint8Array(0) };
    return treeOf(lines.n, r.placeholders, levels, summary);
  }
  let shared = buf;
  if (!(buf.buffer instanceof SharedArrayBuffer)) {
    shared = Buffer.from(new SharedArrayBuffer(buf.length));
    buf.copy(shared);
  }
  const status = new Int32Array(new SharedArrayBuffer(16));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: { file: shared.buffer, from: mid, to: end, status: status.buffer, stop: stop.buffer } });
  worker.unref();
  try {
    const a = scanLines(shared, from, mid);
    const capacityB = Math.floor((end - mid + 1) / MIN_LINE_BYTES);
    const levels = allocLevels(a.n + capacityB, true);
    worker.postMessage({ levels: levels.map((l) => l.buffer), base: a.n, capacity: capacityB });
    const ra = hashRange(shared, a, 0, levels, stop);
    const leaves = levels[0]!;
    // A worker that never starts is given up on; once started it always reports (errors included).
    const started = waitWhile(status, 0, performance.now() + START_DEADLINE_MS) !== 0;
    const state = started ? waitWhile(status, STARTED, Infinity) : 0;
    if (ra.checked < a.n) return { resumeAt: ra.checked, leaves };
    if (state !== DONE) return { resumeAt: a.n + (state === 0 ? 0 : status[3]!), leaves };
    const total = a.n + status[1]!;
    // The seam: the second half's first entry must link to the first half's last leaf.
    if (a.n > 0 && !isPlaceholderAt(shared, mid) && !linksTo(shared, mid + PREV_START, leaves, (a.n - 1) * 32)) return { resumeAt: a.n, leaves };
    if (!ra.ok) return { resumeAt: 0, leaves };
    for (let k = 1; Math.floor(total / 2 ** k) >= 1; k++) {
      const j = Math.floor(a.n / 2 ** k);
      if (a.n % 2 ** k !== 0 && j < Math.floor(total / 2 ** k)) hashNode(levels, k, j);
    }
    return treeOf(total, ra.placeholders + status[2]!, levels, summary);
  } finally {
    void worker.terminate();
  }
}

function treeOf(total: number, placeholders: number, levels: Uint8Array[], summary: AuditSummary): MerkleTree {
  summary.placeholders = placeholders;
  summary.entries = total - placeholders;
  if (total === 0) return new MerkleTree();
  const used: Buffer[] = [];
  for (let k = 0; Math.floor(total / 2 ** k) >= 1; k++) used.push(Buffer.from(levels[k]!.buffer, 0, Math.floor(total / 2 ** k) * 32));
  return MerkleTree.fromLevels(total, used);
}
