import { PREV_END, PREV_START } from './entry.js';
import { nodeHash } from './merkle.js';
import { sha256Latin1 } from './sha256.js';

/**
 * The fast path of bundle verification, run over one contiguous range of entry
 * lines (by the calling thread, and by a worker for the other half): line
 * boundaries, index and hash-chain link of every line, its leaf hashed in
 * place, and every tree node whose leaves all lie in the range, written into
 * shared level buffers at their global positions. It only answers "all good"
 * or "something is wrong" (a line of another site's log included): the sequential pass in audit.ts then names the
 * first bad entry and its reason.
 *
 * Hot-loop choices, measured on the 2-core CI machine: crypto.hash with a
 * latin1 string result instead of createHash (a Hash object and a Buffer per
 * call cost more than hashing 300 bytes); `new Uint8Array(ab, off, len)`
 * views instead of Buffer#subarray; plain loops for 32- and 64-byte copies
 * instead of Buffer#copy and latin1Write.
 */
/** Worker status words (see verify-worker.ts). */
export const STARTED = 1;
export const DONE = 2;
export const FAILED = 3;
/** No line that verifies is shorter: {"index":0,"leaf":"<64 hex>"} and its newline. */
export const MIN_LINE_BYTES = 86;

export interface Lines {
  n: number;
  /** Offset of each line's first byte. */
  starts: Float64Array;
  /** Offset just past each line's last byte (newline and a CR before it excluded). */
  ends: Float64Array;
}

/** The line starting at `at`: where it ends (its newline and a CR before it excluded) and where the next begins. */
export function lineAt(buf: Buffer, at: number): { end: number; next: number } {
  const nl = buf.indexOf(10, at);
  let end = nl < 0 ? buf.length : nl;
  if (end > at && buf[end - 1] === 13) end--;
  return { end, next: nl < 0 ? buf.length : nl + 1 };
}

/** The lines that start in [from, to); `from` is a line start, and a line starting before `to` runs to its newline. */
export function scanLines(buf: Buffer, from: number, to: number): Lines {
  let cap = Math.max(16, Math.ceil((to - from) / 256));
  let starts = new Float64Array(cap);
  let ends = new Float64Array(cap);
  let n = 0;
  for (let at = from; at < to;) {
    if (n === cap) {
      cap *= 2;
      const s2 = new Float64Array(cap);
      const e2 = new Float64Array(cap);
      s2.set(starts);
      e2.set(ends);
      starts = s2;
      ends = e2;
    }
    const line = lineAt(buf, at);
    starts[n] = at;
    ends[n] = line.end;
    n++;
    at = line.next;
  }
  return { n, starts, ends };
}

const V1 = Buffer.from('{"v":1,"prev":"');
const IDX = Buffer.from('","index":');
const IDX_AT = PREV_END;
const DIGITS_AT = IDX_AT + IDX.length;
const PLACEHOLDER = /^\{"index":(\d{1,15}),"leaf":"([0-9a-f]{64})"\}$/;

/** Lowercase hex digit values; -1 for every other byte (the encoding writes lowercase only). */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c;
for (let c = 0; c < 6; c++) HEX_VALUE[97 + c] = 10 + c;

function startsWith(buf: Buffer, at: number, lit: Buffer): boolean {
  for (let k = 0; k < lit.length; k++) if (buf[at + k] !== lit[k]) return false;
  return true;
}

/** Whether the line at `s` is a leaf placeholder, {"index":n,"leaf":"<hex>"} (judged by its first bytes). */
export function isPlaceholderAt(buf: Buffer, s: number): boolean {
  return buf[s] === 123 && buf[s + 2] === 105;
}

/** The index of the v1 entry line [s, e), read at its fixed offset without parsing the rest; -1 when the line is not a v1 entry. */
export function v1IndexAt(buf: Buffer, s: number, e: number): number {
  if (e - s < DIGITS_AT + 2 || !startsWith(buf, s, V1) || !startsWith(buf, s + IDX_AT, IDX)) return -1;
  let j = s + DIGITS_AT;
  let index = 0;
  for (; j < e; j++) {
    const c = buf[j]! - 48;
    if (c < 0 || c > 9) break;
    index = index * 10 + c;
  }
  return j === s + DIGITS_AT || j - (s + DIGITS_AT) > 15 || buf[j] !== 44 ? -1 : index;
}

const TIME_KEY = Buffer.from(',"time":"');

/** Where the index digits of the v1 line at `s` end (at the comma after them). */
export function indexEndAt(buf: Buffer, s: number, e: number): number {
  let j = s + DIGITS_AT;
  while (j < e && buf[j]! >= 48 && buf[j]! <= 57) j++;
  return j;
}

/**
 * The bytes an entry of `site`'s log carries right after its time:
 * `,"site":<JSON string>,`. Compared at their place, they prove the entry's
 * (first and, in the canonical encoding, only) site key names the bundle's site.
 */
export function siteBytes(site: string): Buffer {
  return Buffer.from(`,"site":${JSON.stringify(site)},`);
}

/**
 * Whether the v1 line [s, e), whose index ends at `j`, names the site whose
 * `siteBytes` are given: the time string is skipped escape by escape (so a
 * quote inside it cannot pass for its end), then the site must follow.
 */
export function namesSite(buf: Buffer, j: number, e: number, site: Uint8Array): boolean {
  if (j + TIME_KEY.length > e) return false;
  for (let k = 0; k < TIME_KEY.length; k++) if (buf[j + k] !== TIME_KEY[k]) return false;
  let q = j + TIME_KEY.length;
  for (; q < e; q++) {
    const c = buf[q]!;
    if (c === 92) q++;
    else if (c === 34) break;
  }
  if (q + 1 + site.length > e) return false;
  for (let k = 0; k < site.length; k++) if (buf[q + 1 + k] !== site[k]) return false;
  return true;
}

/** Whether the 64 hex chars at buf[at] spell the 32 bytes at leaves[leafAt]. */
export function linksTo(buf: Buffer, at: number, leaves: Uint8Array, leafAt: number): boolean {
  for (let k = 0; k < 32; k++) {
    const hi = HEX_VALUE[buf[at + 2 * k]!]!;
    const lo = HEX_VALUE[buf[at + 2 * k + 1]!]!;
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== leaves[leafAt + k]) return false;
  }
  return true;
}

function isZeroLink(buf: Buffer, at: number): boolean {
  for (let k = 0; k < 64; k++) if (buf[at + k] !== 48) return false;
  return true;
}

function put(out: Uint8Array, at: number, digest: string): void {
  for (let k = 0; k < 32; k++) out[at + k] = digest.charCodeAt(k);
}

export interface RangeResult {
  ok: boolean;
  placeholders: number;
  /** Lines from the start of the range that passed every check, their leaves written (all of them when ok). */
  checked: number;
}

/**
 * Verifies the lines of one range whose first line is entry `base`, writing
 * leaf p at levels[0][32p] and node j of level k at levels[k][32j] for every
 * node whose leaves lie in [base, base + n). The first line's link is checked
 * here only for entry 0 (it must be zeros); for a later range the caller
 * compares it with the previous range's last leaf.
 *
 * Hashing a leaf writes the RFC 6962 prefix 0x00 over the newline just before
 * the line and puts the newline back afterwards, so SHA-256 runs once over
 * prefix and line without a copy. Two threads never touch the same byte: the
 * newline before a range's first line is not read by anyone once the lines
 * have been scanned.
 *
 * With `stop` (a word shared by the threads), a thread that finds something
 * wrong sets it, and one that sees it set gives up early.
 */
export function hashRange(buf: Buffer, lines: Lines, base: number, levels: Uint8Array[], site: Uint8Array, stop?: Int32Array): RangeResult {
  const r = hashRangeUntilStopped(buf, lines, base, levels, site, stop);
  // The first thread to find something wrong stops the other: the careful pass takes over.
  if (!r.ok && stop) Atomics.store(stop, 0, 1);
  return r;
}

/** How many lines (or nodes) between looks at the stop word. */
const STOP_EVERY = 4096;

function hashRangeUntilStopped(buf: Buffer, lines: Lines, base: number, levels: Uint8Array[], site: Uint8Array, stop: Int32Array | undefined): RangeResult {
  const bytes = buf.buffer;
  const off = buf.byteOffset;
  const leaves = levels[0]!;
  let placeholders = 0;
  for (let i = 0; i < lines.n; i++) {
    const s = lines.starts[i]!;
    const e = lines.ends[i]!;
    const p = base + i;
    const leafAt = p * 32;
    if (stop && (i & (STOP_EVERY - 1)) === 0 && Atomics.load(stop, 0) !== 0) return { ok: false, placeholders, checked: i };
    if (isPlaceholderAt(buf, s)) {
      const m = PLACEHOLDER.exec(buf.toString('latin1', s, e));
      if (!m || Number(m[1]) !== p) return { ok: false, placeholders, checked: i };
      for (let k = 0; k < 32; k++) leaves[leafAt + k] = (HEX_VALUE[m[2]!.charCodeAt(2 * k)]! << 4) | HEX_VALUE[m[2]!.charCodeAt(2 * k + 1)]!;
      placeholders++;
      continue;
    }
    if (s === 0 || v1IndexAt(buf, s, e) !== p) return { ok: false, placeholders, checked: i };
    if (i > 0 ? !linksTo(buf, s + PREV_START, leaves, leafAt - 32) : p === 0 && !isZeroLink(buf, s + PREV_START)) return { ok: false, placeholders, checked: i };
    if (!namesSite(buf, indexEndAt(buf, s, e), e, site)) return { ok: false, placeholders, checked: i };
    const saved = buf[s - 1]!;
    buf[s - 1] = 0x00;
    put(leaves, leafAt, sha256Latin1(new Uint8Array(bytes, off + s - 1, e - s + 1)));
    buf[s - 1] = saved;
  }
  // A node's input, 0x01 then the two children, placed so the children start
  // 4-byte aligned: they are copied in as 16 32-bit words instead of 64 bytes.
  const scratch = new ArrayBuffer(72);
  new Uint8Array(scratch)[7] = 0x01;
  const words = new Int32Array(scratch);
  const input = new Uint8Array(scratch, 7, 65);
  for (let k = 1; k < levels.length; k++) {
    const first = Math.ceil(base / 2 ** k);
    const last = Math.floor((base + lines.n) / 2 ** k);
    if (last <= first) break;
    const below = levels[k - 1]!;
    const belowWords = new Int32Array(below.buffer, below.byteOffset, below.length >> 2);
    const out = levels[k]!;
    for (let j = first; j < last; j++) {
      if (stop && (j & (STOP_EVERY - 1)) === 0 && Atomics.load(stop, 0) !== 0) return { ok: false, placeholders, checked: lines.n };
      const a = j * 16;
      for (let c = 0; c < 16; c++) words[c + 2] = belowWords[a + c]!;
      put(out, j * 32, sha256Latin1(input));
    }
  }
  return { ok: true, placeholders, checked: lines.n };
}

/** Node j of level k from its two children in level k - 1 (for the nodes over a seam between ranges). */
export function hashNode(levels: Uint8Array[], k: number, j: number): void {
  const below = levels[k - 1]!;
  levels[k]!.set(nodeHash(below.subarray(j * 64, j * 64 + 32), below.subarray(j * 64 + 32, j * 64 + 64)), j * 32);
}
