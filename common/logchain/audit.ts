import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { PREV_END, PREV_START, ZERO_HASH } from './entry.js';
import { MerkleTree } from './merkle.js';
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

export type AuditReason =
  | 'malformed_bundle'
  | 'altered_entry'
  | 'missing_entry'
  | 'reordered_entries'
  | 'truncated'
  | 'fork'
  | 'bad_signature'
  | 'unknown_key'
  | 'no_checkpoint';

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
  return calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x } as JWK, 'sha256');
}

const PREFIX = Buffer.from([0x00]);

/**
 * Verifies a bundle offline. With `keys`, every signature must be by one of
 * them; without, the bundle's own keys are used and a warning says they were
 * not independently pinned.
 */
export function verifyBundle(input: string | Buffer, keys?: VerifyKey[]): AuditResult {
  const warnings: string[] = [];
  const summary: AuditSummary = { site: '', entries: 0, placeholders: 0, checkpoints: 0, cosignatures: 0, largestSignedSize: 0, largestCosignedSize: 0, root: null };
  try {
    // A private copy, shared with the worker threads: hashing writes a prefix byte into it (see hashEntries).
    const src = typeof input === 'string' ? Buffer.from(input) : input;
    const buf = Buffer.from(new SharedArrayBuffer(src.length));
    src.copy(buf);
    const lineStarts: number[] = [];
    for (let at = 0; at < buf.length; ) {
      lineStarts.push(at);
      const nl = buf.indexOf(10, at);
      at = nl < 0 ? buf.length : nl + 1;
    }
    const lines = { length: lineStarts.length, at: (i: number) => buf.toString('utf8', lineStarts[i]!, lineEnd(buf, lineStarts, i)) };
    let header: BundleHeader;
    try {
      header = JSON.parse(lines.length ? lines.at(0) : '') as BundleHeader;
    } catch {
      throw new Fail('malformed_bundle', 'line 1', 'the first line is not a bundle header');
    }
    if (header?.bundle !== 'tieup-audit' || header.version !== 1 || typeof header.origin !== 'string' || !Array.isArray(header.keys)) {
      throw new Fail('malformed_bundle', 'line 1', 'the first line is not a tieup-audit v1 header');
    }
    summary.site = header.site;
    let trusted = keys;
    if (!trusted || trusted.length === 0) {
      warnings.push('no keys were given: verified against the keys inside the bundle, which were not independently pinned; pass --keys with the sites\' published JWKS');
      trusted = header.keys.map((k) => ({ x: k.jwk.x, role: k.role }));
    }
    const logKeys = trusted.filter((k) => k.role !== 'witness').map((k) => ({ name: header.origin, publicRaw: rawPublicKey(k.x) }));
    const witnessKeys = trusted.filter((k) => k.role !== 'log').map((k) => rawPublicKey(k.x));

    // Checkpoints.
    let li = 1;
    const cps: { size: number; root: Buffer; time: string; cosigned: boolean }[] = [];
    for (; li < lines.length; li++) {
      if (buf.toString('latin1', lineStarts[li]!, lineStarts[li]! + 13) !== '{"checkpoint"') break;
      const line = lines.at(li);
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

    // Entries, straight from the bytes: the chain link and index sit at fixed
    // offsets, and each leaf is hashed in place (see hashEntries).
    const tree = (lineStarts.length - li >= PARALLEL_FROM ? hashEntriesInParallel(buf, lineStarts, li, summary) : null) ?? hashEntries(buf, lineStarts, li, summary);
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

function lineEnd(buf: Buffer, starts: number[], i: number): number {
  const next = starts[i + 1];
  const end = next === undefined ? (buf[buf.length - 1] === 10 ? buf.length - 1 : buf.length) : next - 1;
  return end > starts[i]! && buf[end - 1] === 13 ? end - 1 : end;
}

const V1_PREFIX = Buffer.from('{"v":1,"prev":"');
const INDEX_KEY = Buffer.from('","index":');

/** Index of a v1 line read from the bytes, or -1 when the line is not v1. */
function indexAt(buf: Buffer, s: number, e: number): number {
  if (e - s < PREV_END + INDEX_KEY.length + 2 || buf.compare(V1_PREFIX, 0, V1_PREFIX.length, s, s + V1_PREFIX.length) !== 0) return -1;
  if (buf.compare(INDEX_KEY, 0, INDEX_KEY.length, s + PREV_END, s + PREV_END + INDEX_KEY.length) !== 0) return -1;
  let i = s + PREV_END + INDEX_KEY.length;
  const start = i;
  let index = 0;
  for (; i < e; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    index = index * 10 + c;
  }
  return i === start || i - start > 15 || buf[i] !== 44 ? -1 : index;
}

/**
 * The hot loop of verification: for each entry line, the index and the link to
 * the previous leaf are read at fixed offsets, and the leaf is hashed without
 * copying: the byte before each line (its newline) is overwritten with the
 * RFC 6962 leaf prefix 0x00, so SHA-256 runs once over prefix and line together.
 */
function hashEntries(buf: Buffer, starts: number[], first: number, summary: AuditSummary): MerkleTree {
  const tree = new MerkleTree();
  let prevHex = ZERO_HASH;
  const count = starts.length - first;
  for (let p = 0; p < count; p++) {
    const li = first + p;
    const s = starts[li]!;
    const e = lineEnd(buf, starts, li);
    if (buf[s] === 123 && buf[s + 2] === 105) {
      // {"index":n,"leaf":"..."}: an entry outside the exported range, by hash only.
      const h = placeholder(buf.toString('utf8', s, e));
      if (!h || h.index !== p) throw positionFailure(buf, starts, first, p, h ? h.index : -1, false);
      tree.append(h.leaf);
      prevHex = h.leaf.toString('hex');
      summary.placeholders++;
      continue;
    }
    const index = indexAt(buf, s, e);
    if (index < 0) throw new Fail('altered_entry', `entry ${p}`, 'the line is not a v1 log entry (its bytes were changed)');
    const chained = buf.toString('latin1', s + PREV_START, s + PREV_END) === prevHex;
    if (index !== p) throw positionFailure(buf, starts, first, p, index, chained);
    if (!chained) {
      // Either the previous entry was changed (its hash moved) or this one's link was.
      const here = leafOf(buf, s, e).toString('hex');
      const next = li + 1 < starts.length ? starts[li + 1]! : -1;
      const nextLinks = next >= 0 && indexAt(buf, next, lineEnd(buf, starts, li + 1)) >= 0 ? buf.toString('latin1', next + PREV_START, next + PREV_END) === here : false;
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
  if (s === 0) return createHash('sha256').update(PREFIX).update(buf.subarray(s, e)).digest();
  buf[s - 1] = 0x00;
  return createHash('sha256').update(buf.subarray(s - 1, e)).digest();
}

/** An entry in the wrong place: altered (its index changed), reordered, or missing. */
function positionFailure(buf: Buffer, starts: number[], first: number, p: number, found: number, chained: boolean): Fail {
  if (found < 0) return new Fail('altered_entry', `entry ${p}`, 'the line is neither an entry nor a leaf placeholder');
  if (chained) return new Fail('altered_entry', `entry ${p}`, `entry ${p} carries index ${found} but chains to entry ${p - 1}: its index was changed`);
  let later = false;
  for (let q = p + 1; q < starts.length - first && !later; q++) {
    const s = starts[first + q]!;
    const e = lineEnd(buf, starts, first + q);
    const i = buf[s + 2] === 105 ? (placeholder(buf.toString('utf8', s, e))?.index ?? -1) : indexAt(buf, s, e);
    later = i === p;
  }
  if (found < p || later) return new Fail('reordered_entries', `entry ${p}`, `entry ${found} stands where entry ${p} belongs`);
  return new Fail('missing_entry', `entry ${p}`, `entry ${p} is missing (the next line is entry ${found})`);
}

/** From this many entries on, two worker threads verify halves of the entries. */
const PARALLEL_FROM = 100_000;
/** Halves split at a multiple of 2^LOW_LEVELS, so every subtree up to that height lies in one half. */
const LOW_LEVELS = 16;

/**
 * The same checks as hashEntries, on two threads. Returns null when either half
 * finds anything wrong (or a thread fails): the sequential pass then names the
 * first bad entry and its reason exactly.
 */
function hashEntriesInParallel(buf: Buffer, starts: number[], first: number, summary: AuditSummary): MerkleTree | null {
  const count = starts.length - first;
  const unit = 2 ** LOW_LEVELS;
  const split = Math.max(unit, Math.round(count / 2 / unit) * unit);
  if (split >= count) return null;
  const halves = [
    { base: 0, len: split },
    { base: split, len: count - split },
  ];
  const jobs = halves.map((h) => {
    const s = new Float64Array(new SharedArrayBuffer(h.len * 8));
    const e = new Float64Array(new SharedArrayBuffer(h.len * 8));
    for (let i = 0; i < h.len; i++) {
      s[i] = starts[first + h.base + i]!;
      e[i] = lineEnd(buf, starts, first + h.base + i);
    }
    const levels = Array.from({ length: LOW_LEVELS + 1 }, (_, k) => new SharedArrayBuffer(Math.max(32, Math.floor(h.len / 2 ** k) * 32)));
    const status = new SharedArrayBuffer(8);
    const worker = new Worker(new URL('./verify-worker.js', import.meta.url), {
      workerData: { file: buf.buffer, starts: s.buffer, ends: e.buffer, base: h.base, levels, status },
    });
    worker.unref();
    return { ...h, levels, st: new Int32Array(status), worker };
  });
  try {
    for (const j of jobs) {
      while (Atomics.load(j.st, 0) === 0) Atomics.wait(j.st, 0, 0, 1000);
      if (j.st[0] !== 1) return null;
    }
  } finally {
    for (const j of jobs) void j.worker.terminate();
  }
  const [a, b] = jobs as [(typeof jobs)[0], (typeof jobs)[0]];
  // The seam: the second half's first entry must link to the first half's last leaf.
  const seamLine = starts[first + split]!;
  const lastLeafA = Buffer.from(a.levels[0]!).toString('hex', (split - 1) * 32, split * 32);
  const isPlaceholder = buf[seamLine] === 123 && buf[seamLine + 2] === 105;
  if (!isPlaceholder && buf.toString('latin1', seamLine + PREV_START, seamLine + PREV_END) !== lastLeafA) return null;
  const lower = a.levels.map((la, k) => {
    const na = Math.floor(a.len / 2 ** k);
    const nb = Math.floor(b.len / 2 ** k);
    const joined = Buffer.allocUnsafe((na + nb) * 32);
    Buffer.from(la).copy(joined, 0, 0, na * 32);
    Buffer.from(b.levels[k]!).copy(joined, na * 32, 0, nb * 32);
    return joined;
  });
  for (let p = 0; p < count; p++) {
    const s = starts[first + p]!;
    if (buf[s] === 123 && buf[s + 2] === 105) summary.placeholders++;
    else summary.entries++;
  }
  return MerkleTree.fromLevels(count, lower);
}
