import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { entryHead, ZERO_HASH } from './entry.js';
import { MerkleTree } from './merkle.js';
import { checkCosignature, checkNoteSignature, parseCheckpoint, parseNote, rawPublicKey, type CheckpointBody, type ParsedNote } from './note.js';

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
export function verifyBundle(text: string, keys?: VerifyKey[]): AuditResult {
  const warnings: string[] = [];
  const summary: AuditSummary = { site: '', entries: 0, placeholders: 0, checkpoints: 0, cosignatures: 0, largestSignedSize: 0, largestCosignedSize: 0, root: null };
  try {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let header: BundleHeader;
    try {
      header = JSON.parse(lines[0] ?? '') as BundleHeader;
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
    const cps: { size: number; root: Buffer; time: string; cosigned: boolean; body: CheckpointBody; note: string }[] = [];
    for (; li < lines.length; li++) {
      const line = lines[li]!;
      if (!line.startsWith('{"checkpoint"')) break;
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
      cps.push({ size: body.size, root: body.root, time: body.time, cosigned, body, note: rec.checkpoint as string });
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

    // Entries: a first pass for the positions, then the chain and the leaves.
    const entryLines = lines.slice(li);
    const heads = entryLines.map((l) => (l.startsWith('{"index"') ? placeholder(l) : entryHead(l)));
    const present = new Set<number>();
    for (const h of heads) if (h) present.add(h.index);
    const tree = new MerkleTree();
    let prevHex = ZERO_HASH;
    for (let p = 0; p < entryLines.length; p++) {
      const line = entryLines[p]!;
      const h = heads[p];
      const expected = p;
      if (!h) throw new Fail('altered_entry', `entry ${expected}`, 'the line is not a v1 log entry (its bytes were changed)');
      if ('leaf' in h) {
        if (h.index !== expected) throw new Fail(present.has(expected) ? 'reordered_entries' : 'missing_entry', `entry ${expected}`, `expected entry ${expected}, found ${h.index}`);
        tree.append(h.leaf);
        prevHex = h.leaf.toString('hex');
        summary.placeholders++;
        continue;
      }
      const chained = h.prev === prevHex;
      if (h.index !== expected) {
        if (chained) throw new Fail('altered_entry', `entry ${expected}`, `entry ${expected} carries index ${h.index} but chains to entry ${expected - 1}: its index was changed`);
        if (h.index < expected || present.has(expected)) throw new Fail('reordered_entries', `entry ${expected}`, `entry ${h.index} stands where entry ${expected} belongs`);
        throw new Fail('missing_entry', `entry ${expected}`, `entry ${expected} is missing (the next line is entry ${h.index})`);
      }
      if (!chained) {
        // Either the previous entry was changed (its hash moved) or this one's link was.
        const next = heads[p + 1];
        const leafHere = createHash('sha256').update(PREFIX).update(line).digest('hex');
        const thisChanged = next && !('leaf' in next) ? next.prev !== leafHere : true;
        const bad = thisChanged ? expected : expected - 1;
        throw new Fail('altered_entry', `entry ${bad}`, `entry ${bad} does not match the hash chain`);
      }
      const leaf = createHash('sha256').update(PREFIX).update(line).digest();
      tree.append(leaf);
      prevHex = leaf.toString('hex');
      summary.entries++;
    }

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
