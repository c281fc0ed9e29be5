import { createHash } from 'node:crypto';
import { sha256 } from './sha256.js';

/**
 * RFC 6962 section 2.1 Merkle trees: leaves hashed with a 0x00 prefix, interior
 * nodes with 0x01, the split at the largest power of two smaller than the size.
 * Proof verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2.
 */
const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export const EMPTY_ROOT = createHash('sha256').digest();

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(data).digest();
}

// One reused 65-byte buffer: a single update() per interior node costs less than three.
const scratch = Buffer.alloc(65);
scratch[0] = 0x01;

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE).update(left).update(right).digest();
  scratch.set(left, 1);
  scratch.set(right, 33);
  return sha256(scratch);
}

/** The largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * One level of the tree: hashes stored back to back in a growable buffer.
 * Millions of small Buffer objects would put the garbage collector on the
 * critical path of verification; one buffer per level does not.
 */
class Level {
  n = 0;
  constructor(private buf: Buffer = Buffer.allocUnsafe(32 * 256)) {}

  push(h: Uint8Array): void {
    if ((this.n + 1) * 32 > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.n * 32);
      this.buf = bigger;
    }
    this.buf.set(h, this.n * 32);
    this.n++;
  }

  get(i: number): Buffer {
    return this.buf.subarray(i * 32, i * 32 + 32);
  }

  /** Hash of the last two entries as children (they are adjacent: one copy). */
  parentOfLastTwo(): Buffer {
    this.buf.copy(scratch, 1, (this.n - 2) * 32, this.n * 32);
    return sha256(scratch);
  }
}

/**
 * An append-only tree that keeps every complete subtree hash (about two hashes
 * per leaf), so the root of any size and any proof cost O(log n) hash
 * combinations after the leaves are in.
 */
export class MerkleTree {
  /** levels[k] entry i covers leaves [i * 2^k, (i + 1) * 2^k). */
  private readonly levels: Level[] = [new Level()];

  constructor(leaves: Iterable<Uint8Array> = []) {
    for (const l of leaves) this.append(l);
  }

  get size(): number {
    return this.levels[0]!.n;
  }

  append(leaf: Uint8Array): void {
    if (leaf.length !== 32) throw new TypeError('a leaf hash is 32 bytes');
    let k = 0;
    this.levels[0]!.push(leaf);
    while (this.levels[k]!.n % 2 === 0) {
      const parent = this.levels[k]!.parentOfLastTwo();
      (this.levels[k + 1] ??= new Level()).push(parent);
      k++;
    }
  }

  /**
   * A tree of `size` leaves from its lowest levels already computed (level k
   * holding floor(size / 2^k) hashes back to back); the levels above are built
   * here. The buffers are taken over, not copied.
   */
  static fromLevels(size: number, lower: Buffer[]): MerkleTree {
    const t = new MerkleTree();
    t.levels.length = 0;
    lower.forEach((buf, k) => {
      const l = new Level(buf);
      l.n = Math.floor(size / 2 ** k);
      t.levels.push(l);
    });
    for (let k = t.levels.length - 1; t.levels[k]!.n >= 2; k++) {
      const below = t.levels[k]!;
      const up = new Level();
      for (let i = 0; i + 1 < below.n; i += 2) up.push(nodeHash(below.get(i), below.get(i + 1)));
      t.levels.push(up);
    }
    return t;
  }

  /** Drops leaves back to `size` (undoing appends that turned out invalid); O(log n). */
  truncate(size: number): void {
    this.checkSize(size);
    for (let k = 0; k < this.levels.length; k++) this.levels[k]!.n = Math.floor(size / 2 ** k);
  }

  leaf(index: number): Buffer {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new RangeError(`no leaf ${index} in a tree of ${this.size}`);
    return Buffer.from(this.levels[0]!.get(index));
  }

  /** MTH of leaves [start, start + n), using stored complete subtrees. */
  private range(start: number, n: number): Buffer {
    if (n === 1) return this.levels[0]!.get(start);
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = this.levels[Math.log2(n)];
      if (level && start / n < level.n) return level.get(start / n);
    }
    const k = split(n);
    return nodeHash(this.range(start, k), this.range(start + k, n - k));
  }

  root(size = this.size): Buffer {
    this.checkSize(size);
    return size === 0 ? EMPTY_ROOT : this.range(0, size);
  }

  /** RFC 6962 PATH(m, D[n]): the audit path of leaf `index` in the tree of `size`. */
  inclusionProof(index: number, size = this.size): Buffer[] {
    this.checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
    const out: Buffer[] = [];
    const walk = (m: number, start: number, n: number) => {
      if (n === 1) return;
      const k = split(n);
      if (m < k) {
        walk(m, start, k);
        out.push(this.range(start + k, n - k));
      } else {
        walk(m - k, start + k, n - k);
        out.push(this.range(start, k));
      }
    };
    walk(index, 0, size);
    return out;
  }

  /** RFC 6962 PROOF(m, D[n]): that the tree of size `from` is a prefix of the tree of size `to`. */
  consistencyProof(from: number, to = this.size): Buffer[] {
    this.checkSize(to);
    if (!Number.isSafeInteger(from) || from < 0 || from > to) throw new RangeError(`cannot prove ${from} -> ${to}`);
    if (from === 0 || from === to) return [];
    const out: Buffer[] = [];
    const sub = (m: number, start: number, n: number, whole: boolean) => {
      if (m === n) {
        if (!whole) out.push(this.range(start, n));
        return;
      }
      const k = split(n);
      if (m <= k) {
        sub(m, start, k, whole);
        out.push(this.range(start + k, n - k));
      } else {
        sub(m - k, start + k, n - k, false);
        out.push(this.range(start, k));
      }
    };
    sub(from, 0, to, true);
    return out;
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new RangeError(`tree size ${size} is not between 0 and ${this.size}`);
  }
}

const is32 = (b: unknown): b is Uint8Array => b instanceof Uint8Array && b.length === 32;
const odd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/** RFC 9162 2.1.3.2: does `proof` show leaf `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!is32(leaf) || !is32(root) || !Array.isArray(proof) || !proof.every(is32)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/** RFC 9162 2.1.4.2: does `proof` show the tree of size `from` (oldRoot) is a prefix of the tree of size `to` (newRoot)? */
export function verifyConsistency(from: number, to: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: Uint8Array[]): boolean {
  if (!is32(oldRoot) || !is32(newRoot) || !Array.isArray(proof) || !proof.every(is32)) return false;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) return false;
  if (from === to) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (from === 0) return proof.length === 0 && Buffer.from(oldRoot).equals(EMPTY_ROOT);
  if (proof.length === 0) return false;
  const path = (from & (from - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(fr).equals(oldRoot) && Buffer.from(sr).equals(newRoot);
}
