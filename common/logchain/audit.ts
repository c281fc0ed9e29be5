import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { calculateJwkThumbprint } from 'jose';
import { PREV_END, PREV_START, ZERO_HASH } from './entry.js';
import { leafHash, MerkleTree } from './merkle.js';
import { DONE, hashNode, hashRange, indexEndAt, isPlaceholderAt, lineAt, linksTo, MIN_LINE_BYTES, namesSite, scanLines, siteBytes, STARTED, v1IndexAt, type Lines } from './verify-range.js';
import { checkCosignature, checkNoteSignature, logOrigin, parseCheckpoint, parseNote, rawPublicKey, witnessName, type ParsedNote } from './note.js';
import { BUNDLE_KEYS_WARNING, keysFromJwks, trustFromBundleKeys, trustProblem, UNCOSIGNED_WARNING, type Trust } from './trust.js';

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
  | 'no_checkpoint'
  | 'signed_by_witness'
  | 'signed_by_other_site'
  | 'cosigner_not_witness'
  | 'foreign_entry'
  | 'uncosigned'
  | 'unverified_entries'
  | 'role_conflict'
  | 'stale';

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
  signed_by_witness: 19,
  signed_by_other_site: 20,
  cosigner_not_witness: 21,
  foreign_entry: 22,
  uncosigned: 23,
  unverified_entries: 24,
  role_conflict: 25,
  /** `audit latest --bundle`: the witness has cosigned more than the bundle holds. */
  stale: 26,
};

export interface AuditSummary {
  site: string;
  /** Entries (and placeholders) within the verified size; entries after it are in `unverified`, never here. */
  entries: number;
  placeholders: number;
  checkpoints: number;
  cosignatures: number;
  largestSignedSize: number;
  largestCosignedSize: number;
  /** The size the result rests on: the largest cosigned checkpoint (the largest signed one with allowUncosigned). */
  verifiedSize: number;
  /** Lines after the verified size: no signature (or, by default, no cosignature) covers them. */
  unverified: number;
  /** The root at the verified size. */
  root: string | null;
  /** The first entry naming another site (found by the careful pass; refused once the rest verifies). */
  foreign?: { index: number; named: string };
}

export interface AuditResult {
  /** Every entry of the bundle verified. */
  ok: boolean;
  reason?: AuditReason;
  /** The first bad entry ("entry 41") or checkpoint ("checkpoint of size 2048"). */
  at?: string;
  message: string;
  warnings: string[];
  summary: AuditSummary;
  /**
   * The leaves, for proofs and counts: only when ok, or when the reason is
   * unverified_entries (then only the first summary.verifiedSize are verified).
   */
  tree?: MerkleTree;
  checkpoints?: { size: number; root: Buffer; time: string; cosigned: boolean }[];
}

export interface VerifyOptions {
  /** The auditor's keys, bound to sites and witnesses. */
  trust?: Trust;
  /** Without `trust`: take the keys the bundle's header declares, with a loud warning. */
  trustBundleKeys?: boolean;
  /** Let a result rest on checkpoints no witness cosigned (a warning says so). */
  allowUncosigned?: boolean;
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

export { keysFromJwks };

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

interface KeyOf {
  id: string;
  role: 'site' | 'witness';
  raw: Buffer;
}

/**
 * Verifies a bundle offline against the auditor's keys: every checkpoint
 * signed by a key of the bundle's own site, every cosignature by a key of a
 * named witness other than that site, every entry naming that site, and the
 * result resting on a cosigned checkpoint (unless allowUncosigned). Entries
 * after the checkpoint the result rests on are reported as unverified and
 * counted nowhere.
 */
export function verifyBundle(input: string | Buffer, opts: VerifyOptions): AuditResult {
  const warnings: string[] = [];
  const summary: AuditSummary = {
    site: '',
    entries: 0,
    placeholders: 0,
    checkpoints: 0,
    cosignatures: 0,
    largestSignedSize: 0,
    largestCosignedSize: 0,
    verifiedSize: 0,
    unverified: 0,
    root: null,
  };
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
    if (header?.bundle !== 'tieup-audit' || header.version !== 1 || typeof header.origin !== 'string' || typeof header.site !== 'string' || !Array.isArray(header.keys)) {
      throw new Fail('malformed_bundle', 'line 1', 'the first line is not a tieup-audit v1 header');
    }
    const site = header.site;
    // The origin every checkpoint must carry follows from the site: a header cannot pair one site with another's log.
    if (header.origin !== logOrigin(site)) throw new Fail('malformed_bundle', 'line 1', `the header names site ${site} but origin ${header.origin}`);
    summary.site = site;

    const tc = trustFor(site, opts, warnings, 'line 1', header.keys);

    // Checkpoints.
    let li = 1;
    const cps: CheckedCheckpoint[] = [];
    for (; lines.at(li); li++) {
      const { start } = lines.at(li)!;
      if (buf.toString('latin1', start, start + 13) !== '{"checkpoint"') break;
      const line = lines.text(li);
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        throw new Fail('malformed_bundle', `line ${li + 1}`, 'a checkpoint line is not JSON');
      }
      const c = checkCheckpoint(rec, tc, `checkpoint on line ${li + 1}`);
      summary.cosignatures += c.cosignatures;
      cps.push(c);
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
    const anyCosigned = cps.some((c) => c.cosigned);
    if (!anyCosigned && !opts.allowUncosigned) {
      throw new Fail(
        'uncosigned',
        undefined,
        `no checkpoint is cosigned by a witness of ${site}: the log's own signature alone cannot show it was not rewritten (--allow-uncosigned accepts that, with a warning)`,
      );
    }
    summary.verifiedSize = opts.allowUncosigned ? summary.largestSignedSize : summary.largestCosignedSize;

    // Entries, straight from the bytes: the fast pass (on two threads for large
    // bundles) only tells good from bad; on bad, the careful pass names the first bad entry.
    const entriesFrom = lines.at(li)?.start ?? buf.length;
    const fast = fastTree(buf, entriesFrom, summary, site);
    const tree = fast instanceof MerkleTree ? fast : carefulTree(buf, entriesFrom, summary, fast, site);
    // Roots: every checkpoint within the bundle must match; the bundle must reach every signed size.
    for (const c of cps) {
      if (c.size > tree.size) {
        throw new Fail('truncated', `checkpoint of size ${c.size}`, `the bundle holds ${tree.size} entries but a ${c.cosigned ? 'cosigned' : 'signed'} checkpoint covers ${c.size}`);
      }
      if (!tree.root(c.size).equals(c.root)) {
        throw new Fail('altered_entry', `entries below ${c.size}`, `the entries do not hash to the root signed at size ${c.size}`);
      }
    }
    if (summary.foreign) {
      const f = summary.foreign;
      delete summary.foreign;
      throw new Fail('foreign_entry', `entry ${f.index}`, `entry ${f.index} names site ${f.named}, but this bundle is the log of ${site}`);
    }
    const vs = summary.verifiedSize;
    if (opts.allowUncosigned && !cps.some((c) => c.cosigned && c.size === vs)) {
      warnings.push(`${UNCOSIGNED_WARNING} Here: size ${vs} is signed by ${site} only; the largest cosigned size is ${summary.largestCosignedSize}${anyCosigned ? '' : ' (none is cosigned)'}.`);
    }
    summary.unverified = tree.size - vs;
    if (summary.unverified > 0) {
      // The counts cover the verified prefix only.
      const tailPlaceholders = placeholdersFrom(buf, entriesFrom, vs);
      summary.placeholders -= tailPlaceholders;
      summary.entries -= summary.unverified - tailPlaceholders;
    }
    summary.root = tree.size ? tree.root(vs).toString('hex') : null;
    const checkpoints = cps.map(({ size, root, time, cosigned }) => ({ size, root, time, cosigned }));
    const counts = `${summary.entries} entries (${summary.placeholders} by hash only), ${summary.checkpoints} checkpoints, largest signed size ${summary.largestSignedSize}, largest cosigned size ${summary.largestCosignedSize}`;
    if (summary.unverified > 0) {
      const bound = opts.allowUncosigned ? 'signed' : 'cosigned';
      return {
        ok: false,
        reason: 'unverified_entries',
        at: `entry ${vs}`,
        message: `UNVERIFIED: ${summary.unverified} entries after the last ${bound} checkpoint (size ${vs}) are covered by no ${opts.allowUncosigned ? 'signature' : 'witness cosignature'} and are counted nowhere; verified: ${counts}`,
        warnings,
        summary,
        tree,
        checkpoints,
      };
    }
    return { ok: true, message: `ok: ${counts}`, warnings, summary, tree, checkpoints };
  } catch (err) {
    delete summary.foreign;
    if (err instanceof Fail) return { ok: false, reason: err.reason, ...(err.at ? { at: err.at } : {}), message: err.message, warnings, summary };
    return { ok: false, reason: 'malformed_bundle', message: `the bundle could not be read: ${(err as Error).message}`, warnings, summary };
  }
}

/** The auditor's keys as they apply to one site's log. */
interface SiteTrust {
  site: string;
  siteKeys: Buffer[];
  /** Every other key the auditor knows, by whom it belongs to: to name what a forged signature really is. */
  others: KeyOf[];
  /** Witness keys by cosignature name; never the log's own site. */
  witnesses: Map<string, Buffer[]>;
}

interface CheckedCheckpoint {
  size: number;
  root: Buffer;
  time: string;
  cosigned: boolean;
  cosignatures: number;
  /** When the witness cosigned (the latest cosignature's time), if any. */
  cosignedAt: Date | null;
}

function trustFor(site: string, opts: VerifyOptions, warnings: string[], headerAt: string, bundleKeys: BundleHeader['keys'] = []): SiteTrust {
  let trust = opts.trust;
  if (!trust) {
    if (!opts.trustBundleKeys) throw new Fail('unknown_key', undefined, "no keys were given: name the log site's keys and the witness keys (pinned), or explicitly trust the keys the bundle carries");
    trust = trustFromBundleKeys(bundleKeys);
    warnings.push(BUNDLE_KEYS_WARNING);
  }
  const problem = trustProblem(trust);
  if (problem) throw new Fail('role_conflict', trust.source === 'bundle' ? headerAt : undefined, problem);
  const siteKeys = (trust.sites[site] ?? []).map(rawPublicKey);
  if (siteKeys.length === 0) throw new Fail('unknown_key', undefined, `no keys were given for site ${site}, whose log this is`);
  const others: KeyOf[] = [];
  for (const [id, xs] of Object.entries(trust.witnesses)) if (id !== site) for (const x of xs) others.push({ id, role: 'witness', raw: rawPublicKey(x) });
  for (const [id, xs] of Object.entries(trust.sites)) if (id !== site) for (const x of xs) others.push({ id, role: 'site', raw: rawPublicKey(x) });
  const witnesses = new Map<string, Buffer[]>();
  for (const [id, xs] of Object.entries(trust.witnesses)) if (id !== site) witnesses.set(witnessName(id), xs.map(rawPublicKey));
  return { site, siteKeys, others, witnesses };
}

/** One {"checkpoint","cosignatures"} record: signed by the site, each cosignature by one of its witnesses. */
function checkCheckpoint(raw: unknown, tc: SiteTrust, at: string): CheckedCheckpoint {
  const rec = (typeof raw === 'object' && raw !== null ? raw : {}) as { checkpoint?: unknown; cosignatures?: unknown };
  const { site, siteKeys, others, witnesses } = tc;
  const note = typeof rec.checkpoint === 'string' ? parseNote(rec.checkpoint) : null;
  const body = note ? parseCheckpoint(note.body) : null;
  const where = `${at}${body ? ` (size ${body.size})` : ''}`;
  if (!note || !body) throw new Fail('bad_signature', where, 'the checkpoint is not a well-formed signed note');
  if (body.origin !== logOrigin(site)) throw new Fail('bad_signature', where, `the checkpoint is for ${body.origin}, the bundle for ${logOrigin(site)}`);
  checkLogSignature(note, site, siteKeys, others, where);
  let cosignatures = 0;
  let cosignedAt: Date | null = null;
  for (const c of Array.isArray(rec.cosignatures) ? (rec.cosignatures as unknown[]) : []) {
    if (typeof c !== 'string') throw new Fail('malformed_bundle', where, 'a cosignature is not a string');
    const name = c.slice(2).split(' ')[0] ?? '';
    const results = (witnesses.get(name) ?? []).map((pub) => checkCosignature(note.body, c, { name, publicRaw: pub }));
    const good = results.find((r) => r.ok);
    if (good?.ok) {
      cosignatures++;
      if (!cosignedAt || good.time > cosignedAt) cosignedAt = good.time;
      continue;
    }
    // A cosignature made with the log's own key (or another site's) witnesses nothing.
    const own = siteKeys.some((pub) => checkCosignature(note.body, c, { name, publicRaw: pub }).ok);
    const other = own ? undefined : others.find((k) => k.role === 'site' && checkCosignature(note.body, c, { name, publicRaw: k.raw }).ok);
    if (own) throw new Fail('cosigner_not_witness', where, `the cosignature "${name}" is made with a key of ${site} itself: a log cannot witness itself`);
    if (other) throw new Fail('cosigner_not_witness', where, `the cosignature "${name}" is made with a key of site ${other.id}, which is not a witness`);
    if (results.some((r) => !r.ok && r.reason === 'bad_signature')) throw new Fail('bad_signature', where, `the cosignature by ${name} does not verify`);
    throw new Fail('unknown_key', where, `the cosignature by ${name} is by a key that was not given for a witness of ${site}`);
  }
  return { size: body.size, root: body.root, time: body.time, cosigned: cosignatures > 0, cosignatures, cosignedAt };
}

export interface LatestCheckpoint {
  ok: boolean;
  reason?: AuditReason;
  message: string;
  warnings: string[];
  checkpoint?: { size: number; root: string; time: string; cosigned: boolean; cosignedAt: string | null };
}

/**
 * A witness's latest checkpoint of `site`'s log (as `GET /admin/api/logs/<site>/checkpoint`
 * answers it), verified with the same keys and rules as a bundle: what tells
 * an auditor whether a bundle is the latest.
 */
export function verifyLatestCheckpoint(site: string, record: unknown, opts: VerifyOptions): LatestCheckpoint {
  const warnings: string[] = [];
  try {
    const tc = trustFor(site, opts, warnings, 'the answer');
    const c = checkCheckpoint(record, tc, 'the latest checkpoint');
    if (!c.cosigned && !opts.allowUncosigned) throw new Fail('uncosigned', undefined, `the latest checkpoint of ${site} carries no cosignature by a witness of ${site}`);
    if (!c.cosigned) warnings.push(UNCOSIGNED_WARNING);
    return {
      ok: true,
      message: `latest checkpoint of ${site}: size ${c.size}, made ${c.time}${c.cosignedAt ? `, cosigned ${c.cosignedAt.toISOString()}` : ', not cosigned'}`,
      warnings,
      checkpoint: { size: c.size, root: c.root.toString('hex'), time: c.time, cosigned: c.cosigned, cosignedAt: c.cosignedAt?.toISOString() ?? null },
    };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, reason: err.reason, message: err.message, warnings };
    throw err;
  }
}

/** How many of the entry lines from position `from` on are leaf placeholders. */
function placeholdersFrom(buf: Buffer, entriesFrom: number, from: number): number {
  let at = entriesFrom;
  for (let p = 0; p < from && at < buf.length; p++) at = lineAt(buf, at).next;
  let n = 0;
  for (; at < buf.length; at = lineAt(buf, at).next) if (isPlaceholderAt(buf, at)) n++;
  return n;
}

/**
 * The checkpoint must be signed by a key of the bundle's site. A signature by
 * a key the auditor gave for someone else is named for what it is.
 */
function checkLogSignature(note: ParsedNote, site: string, siteKeys: Buffer[], others: KeyOf[], where: string): void {
  const name = logOrigin(site);
  let sawBad = false;
  for (const publicRaw of siteKeys) {
    const r = checkNoteSignature(note, { name, publicRaw });
    if (r === 'ok') return;
    if (r === 'bad') sawBad = true;
  }
  const by = others.find((k) => checkNoteSignature(note, { name, publicRaw: k.raw }) === 'ok');
  if (by?.role === 'witness')
    throw new Fail('signed_by_witness', where, `the checkpoint of ${site}'s log is signed with a key of the witness ${by.id}, not of ${site}: a witness can never sign the log it witnesses`);
  if (by) throw new Fail('signed_by_other_site', where, `the checkpoint of ${site}'s log is signed with a key of site ${by.id}, not of ${site}`);
  if (sawBad) throw new Fail('bad_signature', where, 'the checkpoint signature does not verify');
  throw new Fail('unknown_key', where, `the checkpoint is not signed by any key given for ${site}`);
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
function hashEntries(buf: Buffer, lines: Lines, summary: AuditSummary, site: string, from = 0, prevLeaf = ZERO_HASH): MerkleTree {
  const tree = new MerkleTree();
  const siteAt = siteBytes(site);
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
    if (!namesSite(buf, indexEndAt(buf, s, e), e, siteAt) && !summary.foreign) {
      // Judged only once the rest holds: an altered line also fails this check, and is named altered by the chain or the root.
      const named = /,"site":("(?:[^"\\]|\\.)*")/.exec(buf.toString('utf8', s, e))?.[1];
      summary.foreign = { index: p, named: named ?? '(none)' };
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
function carefulTree(buf: Buffer, from: number, summary: AuditSummary, fast: FastFailure, site: string): MerkleTree {
  const lines = scanLines(buf, from, buf.length);
  const at = Math.min(fast.resumeAt, lines.n);
  if (at > 0) {
    hashEntries(buf, lines, summary, site, at, Buffer.from(fast.leaves.buffer, fast.leaves.byteOffset + (at - 1) * 32, 32).toString('hex'));
  }
  return hashEntries(buf, lines, summary, site);
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
function fastTree(buf: Buffer, from: number, summary: AuditSummary, site: string): MerkleTree | FastFailure {
  const end = buf.length;
  const siteAt = siteBytes(site);
  let mid = end;
  if (end - from >= PARALLEL_FROM_BYTES) {
    const nl = buf.indexOf(10, from + Math.floor((end - from) / 2));
    mid = nl < 0 ? end : nl + 1;
  }
  if (mid >= end) {
    const lines = scanLines(buf, from, end);
    const levels = allocLevels(lines.n, false);
    const r = hashRange(buf, lines, 0, levels, siteAt);
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
  const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: { file: shared.buffer, from: mid, to: end, status: status.buffer, stop: stop.buffer, site } });
  worker.unref();
  try {
    const a = scanLines(shared, from, mid);
    const capacityB = Math.floor((end - mid + 1) / MIN_LINE_BYTES);
    const levels = allocLevels(a.n + capacityB, true);
    worker.postMessage({ levels: levels.map((l) => l.buffer), base: a.n, capacity: capacityB });
    const ra = hashRange(shared, a, 0, levels, siteAt, stop);
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
